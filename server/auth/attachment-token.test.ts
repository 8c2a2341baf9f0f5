import { describe, expect, it } from 'vitest';
import { signAttachmentToken, verifyAttachmentToken } from './attachment-token';

const secret = 'test-secret-0123456789-0123456789';
const attachmentId = '11111111-1111-4111-8111-111111111111';
const now = Date.UTC(2025, 0, 1);

describe('attachment tokens', () => {
  it('accepts a token for the attachment it was made for until it expires', () => {
    const token = signAttachmentToken({ secret, attachmentId, now, ttlMs: 60_000 });
    expect(verifyAttachmentToken({ secret, attachmentId, token, now: now + 59_000 })).toBe(true);
    expect(verifyAttachmentToken({ secret, attachmentId, token, now: now + 61_000 })).toBe(false);
  });

  it('refuses a token made for another attachment or with another secret', () => {
    const token = signAttachmentToken({ secret, attachmentId, now });
    expect(verifyAttachmentToken({ secret, attachmentId: '22222222-2222-4222-8222-222222222222', token, now })).toBe(false);
    expect(verifyAttachmentToken({ secret: `${secret}x`, attachmentId, token, now })).toBe(false);
  });

  it('refuses a token whose expiry was moved', () => {
    const [expiry, mac] = signAttachmentToken({ secret, attachmentId, now }).split('.');
    expect(verifyAttachmentToken({ secret, attachmentId, token: `${Number(expiry) + 3600}.${mac}`, now })).toBe(false);
  });

  it('refuses malformed tokens', () => {
    for (const token of ['', 'abc', '123.', '.abc', `${'9'.repeat(20)}.${'a'.repeat(43)}`]) {
      expect(verifyAttachmentToken({ secret, attachmentId, token, now })).toBe(false);
    }
  });
});

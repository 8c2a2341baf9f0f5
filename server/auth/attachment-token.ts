// Signed, expiring links to one attachment. Inline images are shown inside a sandboxed frame whose
// origin is opaque, so the browser may treat their requests as cross-site and leave out the
// session cookie (SameSite=Lax). The case page, served only to a signed-in agent, hands out these
// links instead; the download route accepts either a valid link or a session (app/api/attachments).
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Long enough for a case page left open through a working day; an image already shown stays shown. */
export const ATTACHMENT_TOKEN_TTL_MS = 12 * 60 * 60 * 1000;

function signature(secret: string, attachmentId: string, expiresAtSeconds: number): string {
  return createHmac('sha256', secret).update(`attachment:${attachmentId}:${expiresAtSeconds}`).digest('base64url');
}

export type SignAttachmentTokenOptions = { secret: string; attachmentId: string; now: number; ttlMs?: number };

/** `<expiry in epoch seconds>.<HMAC>`. */
export function signAttachmentToken({ secret, attachmentId, now, ttlMs = ATTACHMENT_TOKEN_TTL_MS }: SignAttachmentTokenOptions): string {
  const expiresAtSeconds = Math.floor((now + ttlMs) / 1000);
  return `${expiresAtSeconds}.${signature(secret, attachmentId, expiresAtSeconds)}`;
}

export type VerifyAttachmentTokenOptions = { secret: string; attachmentId: string; token: string; now: number };

export function verifyAttachmentToken({ secret, attachmentId, token, now }: VerifyAttachmentTokenOptions): boolean {
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return false;
  const expiresAtSeconds = Number(match[1]);
  if (expiresAtSeconds * 1000 < now) return false;
  const expected = Buffer.from(signature(secret, attachmentId, expiresAtSeconds));
  const given = Buffer.from(match[2]);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

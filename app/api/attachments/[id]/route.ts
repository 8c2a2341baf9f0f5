// Downloads an attachment: for a signed-in user (session cookie), or with a signed link that the
// case page put into a message's HTML for its inline images (server/auth/attachment-token.ts).
// Whatever the mail claims the file is, the browser never renders it as a page of ours: it is
// sent as a download, without sniffing, under a CSP that allows nothing.
import { verifyAttachmentToken } from '@/server/auth/attachment-token';
import { sessionUserFromCookies } from '@/server/auth/session';
import { db } from '@/server/db/client';
import { env } from '@/server/env';
import { isAppError } from '@/server/errors';
import { getAttachmentContent } from '@/server/services/attachments';

export const dynamic = 'force-dynamic';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A MIME type as a header may carry it; anything else (parameters included) becomes a plain download.
const SIMPLE_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;

function contentDisposition(filename: string): string {
  const name = filename.trim() || 'attachment';
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

async function allowed(request: Request, id: string): Promise<boolean> {
  const token = new URL(request.url).searchParams.get('t');
  if (token && verifyAttachmentToken({ secret: env().authSecret, attachmentId: id, token, now: Date.now() })) return true;
  return (await sessionUserFromCookies(request.headers.get('cookie'))) !== null;
}

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!UUID.test(id)) return new Response('Not found', { status: 404 });
  if (!(await allowed(request, id))) return new Response('Sign in to download attachments.', { status: 401 });
  try {
    const file = await getAttachmentContent({ db: db(), id });
    return new Response(new Uint8Array(file.content), {
      status: 200,
      headers: {
        'Content-Type': SIMPLE_TYPE.test(file.contentType) ? file.contentType : 'application/octet-stream',
        'Content-Length': String(file.content.length),
        'Content-Disposition': contentDisposition(file.filename),
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'; sandbox",
        'Cache-Control': 'private, max-age=3600',
        'Referrer-Policy': 'no-referrer',
      },
    });
  } catch (err) {
    if (isAppError(err) && err.code === 'NOT_FOUND') return new Response('Not found', { status: 404 });
    throw err;
  }
}

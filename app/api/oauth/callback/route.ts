// Where the OAuth2 provider sends the admin's browser back after "Connect with …" (PUBLIC_URL + /api/oauth/callback,
// the redirect URI registered at the provider). The answer is accepted only in the session that started the flow
// (server/services/oauth-connect.ts); then the browser goes back to the processor.
import { sessionFromCookies } from '@/server/auth/session';
import { db } from '@/server/db/client';
import { env } from '@/server/env';
import { isAppError } from '@/server/errors';
import { createLogger } from '@/server/log';
import { completeOAuthConnect } from '@/server/services/oauth-connect';

export const dynamic = 'force-dynamic';

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function problemPage(status: number, message: string): Response {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mailbox not connected</title></head><body><main><h1>Mailbox not connected</h1><p role="alert">${escapeHtml(message)}</p><p><a href="/admin/processors">Back to the email processors</a></p></main></body></html>`;
  return new Response(body, { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
}

export async function GET(request: Request) {
  const query = new URL(request.url).searchParams;
  const session = await sessionFromCookies(request.headers.get('cookie'));
  try {
    const { processorId } = await completeOAuthConnect({ db: db(), key: env().secretKey, config: env(), session, query });
    return new Response(null, { status: 303, headers: { location: new URL(`/admin/processors/${processorId}?connected=1`, env().publicUrl).href } });
  } catch (err) {
    if (isAppError(err)) return problemPage(err.status, err.message);
    const errorId = Math.random().toString(16).slice(2, 10);
    createLogger('oauth').error({ err, errorId }, 'OAuth2 callback failed');
    return problemPage(500, `Leopard could not finish connecting the mailbox (error id ${errorId}). Try Connect again.`);
  }
}

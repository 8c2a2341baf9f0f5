// Calls the real tRPC HTTP handler (the one app/api/trpc serves) with a real session cookie,
// so tests see the statuses and error bodies a browser would.
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { encode } from 'next-auth/jwt';
import superjson from 'superjson';
import { appRouter } from '../../server/api/root';
import { createContext } from '../../server/api/trpc';
import { sessionCookieName, type SessionUser } from '../../server/auth/session';
import { db } from '../../server/db/client';
import { env } from '../../server/env';
import { startSession } from '../../server/services/sessions';

export type ApiResponse = { status: number; body: unknown; data: unknown; error: { message: string; data: Record<string, unknown> } | null };

/** A signed-in session of this user, as next-auth makes it at sign-in: a session row and its JWT. */
export async function sessionCookie(user: SessionUser | null): Promise<string> {
  if (!user) return '';
  const sid = await startSession({ db: db(), userId: user.id });
  const token = await encode({ token: { sub: user.id, sid }, secret: env().authSecret });
  return `${sessionCookieName()}=${token}`;
}

export function procedureType(path: string): 'query' | 'mutation' | 'subscription' {
  const procedure = (appRouter._def.procedures as unknown as Record<string, { _def: { type: 'query' | 'mutation' | 'subscription' } }>)[path];
  if (!procedure) throw new Error(`no procedure ${path}`);
  return procedure._def.type;
}

export async function callApi(user: SessionUser | null, path: string, input?: unknown): Promise<ApiResponse> {
  return callApiWithHeaders({ cookie: await sessionCookie(user) }, path, input);
}

/** The same call with the request headers a test chooses: a cookie a browser kept, an Origin. */
export async function callApiWithHeaders(headers: Record<string, string>, path: string, input?: unknown): Promise<ApiResponse> {
  const type = procedureType(path);
  const encoded = JSON.stringify(superjson.serialize(input));
  const url =
    type === 'query'
      ? `http://localhost/api/trpc/${path}?input=${encodeURIComponent(encoded)}`
      : `http://localhost/api/trpc/${path}`;
  const req = new Request(url, {
    method: type === 'query' ? 'GET' : 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: type === 'query' ? undefined : encoded,
  });
  const res = await fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: () => createContext({ headers: req.headers }),
  });
  const body = (await res.json()) as { result?: { data: unknown }; error?: { json: ApiResponse['error'] } };
  return {
    status: res.status,
    body,
    data: body.result ? superjson.deserialize(body.result.data as never) : undefined,
    error: body.error?.json ?? null,
  };
}

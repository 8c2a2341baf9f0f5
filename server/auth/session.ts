// The one way every entry point (tRPC, Socket.IO, server components, downloads) learns who is
// asking: decode next-auth's JWT cookie, then look up the session it names and its user. A session
// that was ended (sign-out, password reset, deactivation, role change) or a deactivated user is
// refused at the next request, not when the cookie expires (server/services/sessions.ts).
import { decode } from 'next-auth/jwt';
import { db } from '../db/client';
import { env } from '../env';
import { findSessionUser } from '../services/sessions';
import { readCookie } from './cookies';

export type Role = 'admin' | 'agent';
export type SessionUser = { id: string; email: string; name: string; role: Role };
export type Session = { sessionId: string; user: SessionUser };

export function sessionCookieName(): string {
  return env().publicUrl.startsWith('https://') ? '__Secure-next-auth.session-token' : 'next-auth.session-token';
}

export async function sessionFromCookies(cookieHeader: string | null | undefined): Promise<Session | null> {
  const token = readCookie(cookieHeader, sessionCookieName());
  if (!token) return null;
  let payload: Awaited<ReturnType<typeof decode>>;
  try {
    payload = await decode({ token, secret: env().authSecret });
  } catch {
    return null;
  }
  const userId = typeof payload?.sub === 'string' ? payload.sub : null;
  // Cookies issued before sessions had rows carry no sid: those people sign in once more.
  const sessionId = typeof payload?.sid === 'string' ? payload.sid : null;
  if (!userId || !sessionId) return null;
  const user = await findSessionUser({ db: db(), sessionId, userId });
  return user ? { sessionId, user } : null;
}

export async function sessionUserFromCookies(cookieHeader: string | null | undefined): Promise<SessionUser | null> {
  return (await sessionFromCookies(cookieHeader))?.user ?? null;
}

// The one way every entry point (tRPC, Socket.IO, server components) learns who is asking:
// decode next-auth's JWT cookie, then load the user so that a deactivated or demoted user
// loses access at once instead of when the token expires.
import { eq } from 'drizzle-orm';
import { decode } from 'next-auth/jwt';
import { db } from '../db/client';
import { users } from '../db/schema';
import { env } from '../env';

export type Role = 'admin' | 'agent';
export type SessionUser = { id: string; email: string; name: string; role: Role };

export function sessionCookieName(): string {
  return env().publicUrl.startsWith('https://') ? '__Secure-next-auth.session-token' : 'next-auth.session-token';
}

function readCookie(cookieHeader: string | null | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export async function sessionUserFromCookies(cookieHeader: string | null | undefined): Promise<SessionUser | null> {
  const token = readCookie(cookieHeader, sessionCookieName());
  if (!token) return null;
  let payload: Awaited<ReturnType<typeof decode>>;
  try {
    payload = await decode({ token, secret: env().authSecret });
  } catch {
    return null;
  }
  const userId = typeof payload?.sub === 'string' ? payload.sub : null;
  if (!userId) return null;
  const [user] = await db()
    .select({ id: users.id, email: users.email, name: users.name, role: users.role, active: users.active })
    .from(users)
    .where(eq(users.id, userId));
  if (!user || !user.active) return null;
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

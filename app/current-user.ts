import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { type SessionUser, sessionUserFromCookies } from '@/server/auth/session';

export async function getCurrentUser(): Promise<SessionUser | null> {
  return sessionUserFromCookies((await headers()).get('cookie'));
}

export async function requireUser(): Promise<SessionUser> {
  const user = await getCurrentUser();
  if (!user) redirect('/sign-in');
  return user;
}

import NextAuth from 'next-auth';
import { authOptions } from '@/server/auth/options';

export const dynamic = 'force-dynamic';

type RouteContext = { params: Promise<{ nextauth: string[] }> };

// Built per request so that configuration is read at run time, not at build time, and so that
// a successful sign-in can add its device cookie to this response.
async function handler(req: Request, context: RouteContext) {
  const deviceCookies: string[] = [];
  const response: Response = await NextAuth(authOptions({ onDeviceCookie: (c) => deviceCookies.push(c) }))(req, context);
  for (const cookie of deviceCookies) response.headers.append('Set-Cookie', cookie);
  return response;
}

export { handler as GET, handler as POST };

// next-auth 4: email + password credentials, JWT sessions (the library refuses database
// sessions with credentials). The token carries only the user id; roles are read fresh per request.
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { db } from '../db/client';
import { env } from '../env';
import { isAppError } from '../errors';
import { authenticate } from '../services/sign-in';

// server.ts sets this header from the socket (or, behind a trusted proxy, X-Forwarded-For)
// and drops any copy the client sent, so the per-address throttle cannot be dodged.
export const CLIENT_ADDRESS_HEADER = 'x-leopard-client-address';

function clientAddress(headers: Record<string, unknown> | undefined): string {
  const address = headers?.[CLIENT_ADDRESS_HEADER];
  return typeof address === 'string' && address ? address : 'unknown';
}

export function authOptions(): NextAuthOptions {
  return {
    secret: env().authSecret,
    session: { strategy: 'jwt', maxAge: 12 * 60 * 60 },
    pages: { signIn: '/sign-in' },
    providers: [
      CredentialsProvider({
        name: 'Email and password',
        credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
        async authorize(credentials, req) {
          const email = credentials?.email?.trim() ?? '';
          const password = credentials?.password ?? '';
          if (!email || !password) throw new Error('Enter your email and password.');
          try {
            const user = await authenticate({
              db: db(),
              email,
              password,
              address: clientAddress(req?.headers as Record<string, unknown> | undefined),
            });
            return { id: user.id, email: user.email, name: user.name };
          } catch (err) {
            // next-auth passes the message to the sign-in form.
            if (isAppError(err)) throw new Error(err.message);
            throw err;
          }
        },
      }),
    ],
    callbacks: {
      async jwt({ token, user }) {
        if (user) token.sub = user.id;
        return token;
      },
    },
  };
}

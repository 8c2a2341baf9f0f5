// next-auth 4: email + password credentials, JWT sessions (the library refuses database
// sessions with credentials). The JWT names a `user_sessions` row (`sid`) created at sign-in and
// deleted at sign-out, so a copied cookie stops working when its owner signs out; roles are
// read fresh per request (session.ts). A successful sign-in also gives the browser a new device
// cookie (device-cookie.ts), which exempts it from lockouts caused by other people's guesses.
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { db } from '../db/client';
import { env } from '../env';
import { isAppError } from '../errors';
import { createLogger, type Logger } from '../log';
import { endSession, findSessionUser, SESSION_MAX_AGE_MS, startSession } from '../services/sessions';
import { authenticate } from '../services/sign-in';
import { readCookie } from './cookies';
import { deviceCookieHeader, deviceCookieName, issueDeviceToken, verifyDeviceToken } from './device-cookie';

// server.ts sets this header from the socket (or, behind a trusted proxy, X-Forwarded-For)
// and drops any copy the client sent, so the per-address throttle cannot be dodged.
export const CLIENT_ADDRESS_HEADER = 'x-leopard-client-address';

function header(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return typeof value === 'string' && value ? value : undefined;
}

export type AuthOptionsHooks = {
  /** Receives the Set-Cookie value of the device cookie after a successful sign-in. */
  onDeviceCookie?: (setCookie: string) => void;
};

let log: Logger | undefined;

export function authOptions({ onDeviceCookie }: AuthOptionsHooks = {}): NextAuthOptions {
  const config = env();
  const secure = config.publicUrl.startsWith('https://');
  log ??= createLogger('auth');
  return {
    secret: config.authSecret,
    logger: {
      // An ended session asking /api/auth/session is expected (see the jwt callback), not a crash.
      error: (code, metadata) => (code === 'JWT_SESSION_ERROR' ? log?.debug({ code }, 'ended session refused') : log?.error({ code, metadata }, 'next-auth error')),
      warn: (code) => log?.warn({ code }, 'next-auth warning'),
      debug: (code, metadata) => log?.debug({ code, metadata }, 'next-auth debug'),
    },
    session: { strategy: 'jwt', maxAge: SESSION_MAX_AGE_MS / 1000 },
    pages: { signIn: '/sign-in' },
    providers: [
      CredentialsProvider({
        name: 'Email and password',
        credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
        async authorize(credentials, req) {
          const email = credentials?.email?.trim() ?? '';
          const password = credentials?.password ?? '';
          if (!email || !password) throw new Error('Enter your email and password.');
          const headers = req?.headers as Record<string, unknown> | undefined;
          const deviceToken = readCookie(header(headers, 'cookie'), deviceCookieName(secure));
          try {
            const user = await authenticate({
              db: db(),
              email,
              password,
              address: header(headers, CLIENT_ADDRESS_HEADER) ?? 'unknown',
              deviceId: verifyDeviceToken({ secret: config.authSecret, email, token: deviceToken }),
            });
            const { token } = issueDeviceToken({ secret: config.authSecret, email: user.email });
            onDeviceCookie?.(deviceCookieHeader({ token, secure }));
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
        // `user` is set only at sign-in: that is when a session row is made.
        if (user) {
          token.sub = user.id;
          token.sid = await startSession({ db: db(), userId: user.id });
          return token;
        }
        // next-auth's own /api/auth/session: an ended session gets no session (next-auth then clears the cookie).
        const live =
          typeof token.sub === 'string' &&
          typeof token.sid === 'string' &&
          (await findSessionUser({ db: db(), sessionId: token.sid, userId: token.sub }));
        if (!live) throw new Error('This session has ended.');
        return token;
      },
    },
    events: {
      async signOut({ token }) {
        if (typeof token?.sid === 'string') await endSession({ db: db(), sessionId: token.sid });
      },
    },
  };
}

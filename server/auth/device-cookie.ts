// The device cookie of OWASP's "Slow Down Online Guessing Attacks with Device Cookies": after a
// successful sign-in the browser gets a signed token naming a random device id and the account.
// Showing it again proves that this browser has known this account's password before, so its
// attempts are counted on their own (throttle-policy.ts) and strangers cannot lock it out.
// Stateless: the HMAC binds the id to the email, so checking it needs no database and takes the
// same time whether the account exists or not. A new token is issued on every successful sign-in.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const DEVICE_COOKIE_MAX_AGE_SECONDS = 180 * 24 * 60 * 60;

/** `__Host-` (Secure, Path=/, no Domain) when the site is served over https. */
export function deviceCookieName(secure: boolean): string {
  return secure ? '__Host-leopard-device' : 'leopard-device';
}

function signature(secret: string, email: string, deviceId: string): string {
  return createHmac('sha256', secret).update(`device:${email.trim().toLowerCase()}:${deviceId}`).digest('base64url');
}

export type IssueDeviceTokenOptions = { secret: string; email: string };

/** `<device id>.<HMAC>`: 22 + 1 + 43 characters. */
export function issueDeviceToken({ secret, email }: IssueDeviceTokenOptions): { deviceId: string; token: string } {
  const deviceId = randomBytes(16).toString('base64url');
  return { deviceId, token: `${deviceId}.${signature(secret, email, deviceId)}` };
}

export type VerifyDeviceTokenOptions = { secret: string; email: string; token: string | undefined };

/** The device id when the token was issued for this email with this secret, else null. */
export function verifyDeviceToken({ secret, email, token }: VerifyDeviceTokenOptions): string | null {
  const match = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(token ?? '');
  if (!match) return null;
  const expected = Buffer.from(signature(secret, email, match[1]));
  const given = Buffer.from(match[2]);
  return expected.length === given.length && timingSafeEqual(expected, given) ? match[1] : null;
}

export function deviceCookieHeader({ token, secure }: { token: string; secure: boolean }): string {
  return [
    `${deviceCookieName(secure)}=${token}`,
    'Path=/',
    `Max-Age=${DEVICE_COOKIE_MAX_AGE_SECONDS}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

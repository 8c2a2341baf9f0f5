// The security headers of every response the web server sends (server.ts sets them before Next.js
// or a route handler answers; a route may override one, as the attachment download does its CSP).
// The Content-Security-Policy carries a fresh nonce per request: server.ts also puts the policy on
// the request, where Next.js's app router reads the nonce and adds it to every script it renders
// (node_modules/next/dist/docs/01-app/02-guides/content-security-policy.md). 'strict-dynamic' lets
// those scripts load the chunks they need; nothing else runs.
// Two allowances are for the mail shown in case pages: a `srcdoc` frame inherits this page's policy
// on top of its own (server/mail/message-document.ts), so styles must allow inline (mail is styled
// inline; a nonce here would switch 'unsafe-inline' off) and images must allow remote hosts for
// "Show remote images". The frame's own policy keeps remote images blocked until the agent asks.
import { randomBytes } from 'node:crypto';

export type SecurityHeadersOptions = {
  nonce: string;
  /** PUBLIC_URL is https: browsers should only ever use https (HSTS). */
  https: boolean;
  /** Next's dev server: React needs eval for its error overlays. */
  dev: boolean;
};

/** HSTS for a year, once the site is known to be served over https. */
export const HSTS_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;

export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

export function contentSecurityPolicy({ nonce, https, dev }: SecurityHeadersOptions): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob: https: http:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(https ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}

export function securityHeaders(options: SecurityHeadersOptions): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(options),
    // frame-ancestors for current browsers, X-Frame-Options for older ones: no page can be framed.
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    ...(options.https && { 'Strict-Transport-Security': `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains` }),
  };
}

// OAuth2 sign-in for mailboxes, the rules without I/O: the provider presets (filled-in custom providers), the
// extra authorization parameters each needs for a refresh token, when an access token is due for a refresh,
// which token-endpoint refusals need an admin (Reconnect) and which are worth retrying, and the client secret
// expiry warning.

export type OAuthProviderKind = 'microsoft' | 'google' | 'custom';

export type ProviderPreset = {
  kind: OAuthProviderKind;
  name: string;
  issuerUrl: string;
  scopes: string;
  imap: { host: string; port: number; useSsl: boolean };
  smtp: { host: string; port: number; security: 'starttls' | 'tls' };
};

// openid and email let Leopard read the mailbox address from the id token; offline_access (Microsoft) and
// access_type=offline (Google) ask for the refresh token.
export const MICROSOFT_SCOPES = 'openid email offline_access https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send';
export const GOOGLE_SCOPES = 'openid email https://mail.google.com/';

/** Microsoft Entra: one issuer per directory (tenant id or verified domain). */
export function microsoftIssuer(tenant: string): string {
  return `https://login.microsoftonline.com/${encodeURIComponent(tenant.trim())}/v2.0`;
}

export function providerPreset(kind: 'microsoft', tenant: string): ProviderPreset;
export function providerPreset(kind: 'google'): ProviderPreset;
export function providerPreset(kind: 'microsoft' | 'google', tenant?: string): ProviderPreset {
  if (kind === 'microsoft') {
    return {
      kind,
      name: 'Microsoft 365',
      issuerUrl: microsoftIssuer(tenant ?? ''),
      scopes: MICROSOFT_SCOPES,
      imap: { host: 'outlook.office365.com', port: 993, useSsl: true },
      smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
    };
  }
  return {
    kind,
    name: 'Google',
    issuerUrl: 'https://accounts.google.com',
    scopes: GOOGLE_SCOPES,
    imap: { host: 'imap.gmail.com', port: 993, useSsl: true },
    smtp: { host: 'smtp.gmail.com', port: 465, security: 'tls' },
  };
}

/**
 * Parameters beyond the standard ones. Google issues a refresh token only with access_type=offline, and a new one
 * only with prompt=consent; OpenID providers drop offline_access unless consent is prompted (OpenID Connect Core
 * 11), so a Reconnect always asks for consent again.
 */
export function extraAuthorizationParams(kind: OAuthProviderKind, scopes: string): Record<string, string> {
  if (kind === 'google') return { access_type: 'offline', prompt: 'consent' };
  return scopes.split(/\s+/).includes('offline_access') ? { prompt: 'consent' } : {};
}

/**
 * An access token is needed only to sign in (IMAP LOGIN, SMTP AUTH); an open IDLE connection keeps working after it
 * expires. It is renewed this long before it expires, so a reconnect at any moment has a valid one, and a refused
 * refresh is noticed while the mailbox still works.
 */
export const REFRESH_MARGIN_MS = 20_000;

export function refreshDue(expiresAt: Date | null, now: Date, marginMs = REFRESH_MARGIN_MS): boolean {
  return !expiresAt || expiresAt.getTime() - now.getTime() <= marginMs;
}

/** When to renew a token that expires at expiresAt: the margin before it, but not sooner than a few seconds from now. */
export function nextRefreshInMs(expiresAt: Date, now: Date, marginMs = REFRESH_MARGIN_MS): number {
  return Math.max(5_000, expiresAt.getTime() - now.getTime() - marginMs);
}

export type TokenEndpointRefusal = { error: string; description?: string | null; status?: number };

// RFC 6749 5.2 and OpenID Connect: answers that mean the grant or the app registration itself is no longer good.
// A retry gets the same answer; only an admin can fix it (Reconnect, a new client secret). Microsoft says
// invalid_grant for revoked consent and changed passwords and invalid_client for an expired secret (AADSTS7000222).
const NEEDS_ADMIN = new Set([
  'invalid_grant',
  'invalid_client',
  'unauthorized_client',
  'invalid_scope',
  'consent_required',
  'interaction_required',
  'login_required',
  'access_denied',
]);

export type RefreshVerdict = { kind: 'reconnect_needed'; words: string } | { kind: 'retry'; words: string };

/** The provider's own words, and whether the refusal needs an admin. */
export function judgeRefusal(refusal: TokenEndpointRefusal): RefreshVerdict {
  const words = refusal.description ? `${refusal.error}: ${refusal.description}` : refusal.error;
  if (NEEDS_ADMIN.has(refusal.error)) return { kind: 'reconnect_needed', words };
  return { kind: 'retry', words };
}

export const SECRET_EXPIRY_WARNING_DAYS = 14;

export type SecretExpiry = { kind: 'expired' | 'expiring'; days: number; text: string } | null;

/** The warning on the processor list for a client secret that expires on `expiresOn` (YYYY-MM-DD, the provider's date). */
export function secretExpiry(providerName: string, expiresOn: string | null, today: Date): SecretExpiry {
  if (!expiresOn || !/^\d{4}-\d{2}-\d{2}$/.test(expiresOn)) return null;
  const expires = Date.parse(`${expiresOn}T00:00:00Z`);
  const start = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  const days = Math.round((expires - start) / 86_400_000);
  if (days > SECRET_EXPIRY_WARNING_DAYS) return null;
  if (days <= 0) {
    return {
      kind: 'expired',
      days,
      text: `The client secret of ${providerName} expired on ${expiresOn}: its mailboxes cannot renew their sign-in. Create a new secret at the provider and enter it under CRM Admin → OAuth providers.`,
    };
  }
  return {
    kind: 'expiring',
    days,
    text: `The client secret of ${providerName} expires on ${expiresOn} (in ${days} ${days === 1 ? 'day' : 'days'}). Create a new secret at the provider and enter it under CRM Admin → OAuth providers before then.`,
  };
}

/** Issuers Leopard talks to over plain http: only this machine (a provider run for tests or development). */
export function isLoopbackHttpIssuer(issuerUrl: string): boolean {
  try {
    const url = new URL(issuerUrl);
    return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]');
  } catch {
    return false;
  }
}

/**
 * Outgoing mail of an OAuth2 mailbox whose token cannot be had right now (the provider unreachable, or the mailbox
 * waiting for Reconnect) is retried with backoff rather than failed for good: it goes out once the sign-in works.
 */
export function waitsForSignIn(errorCode: string): boolean {
  return errorCode === 'OAUTH_PROVIDER' || errorCode === 'OAUTH_RECONNECT_NEEDED';
}

// Access tokens of OAuth2 mailboxes. A refresh happens under a transaction-scoped advisory lock of its processor,
// so several workers (or a worker and "Test connection") never refresh one mailbox at the same time: the second
// waits and then finds the fresh token. The rotated refresh token is written by the same UPDATE, in the same
// transaction, that records the refresh. A refusal that needs an admin (invalid_grant: consent revoked, password
// changed; invalid_client: the secret expired) puts the processor into 'reconnect_needed' with the provider's
// words, and no refresh is tried again until Reconnect.
import { eq, sql } from 'drizzle-orm';
import * as client from 'openid-client';
import { open, seal } from '../crypto/secret-box';
import type { Database } from '../db/client';
import { emailProcessors } from '../db/schema';
import { judgeRefusal, refreshDue } from '../domain/oauth-sign-in';
import type { Env } from '../env';
import { AppError } from '../errors';
import { loadProviderSecrets, providerConfiguration } from './oauth-providers';
import { providerUnreachable } from './oauth-connect';
import { notifyProcessorChanged } from './processors';

export type OAuthEnv = Pick<
  Env,
  | 'publicUrl'
  | 'OAUTH_MICROSOFT_TENANT'
  | 'OAUTH_MICROSOFT_CLIENT_ID'
  | 'OAUTH_MICROSOFT_CLIENT_SECRET'
  | 'OAUTH_MICROSOFT_SECRET_EXPIRES_ON'
  | 'OAUTH_GOOGLE_CLIENT_ID'
  | 'OAUTH_GOOGLE_CLIENT_SECRET'
>;

// Its own key space for pg_advisory_xact_lock(int, int), next to whatever else takes advisory locks.
const REFRESH_LOCK_SPACE = 0x4f417574; // "OAut"

export type MailboxAccessToken = { accessToken: string; expiresAt: Date | null; refreshed: boolean };

export function reconnectNeeded(words: string | null): AppError {
  return new AppError(
    'OAUTH_RECONNECT_NEEDED',
    words ? `The provider refused this mailbox's sign-in (${words}). Press Reconnect on the processor and sign in again.` : 'This mailbox is not connected yet: press Connect on the processor and sign in.',
  );
}

export type GetAccessTokenOptions = {
  db: Database;
  key: Buffer;
  config: OAuthEnv;
  processorId: string;
  /** Refresh even when the stored token is still good (Test connection checks that refreshing works). */
  force?: boolean;
  now?: () => Date;
  /** Told of each refresh the provider refused or that could not reach it (the worker's failure metric). */
  onRefreshFailed?: (error: AppError) => void;
};

type Outcome = { ok: true; token: MailboxAccessToken } | { ok: false; error: AppError };

/**
 * A usable access token for the processor: the stored one while it is not due, else a refreshed one.
 * Throws OAUTH_RECONNECT_NEEDED (an admin must sign in again) or OAUTH_PROVIDER (worth retrying later).
 */
export async function getMailboxAccessToken({
  db,
  key,
  config,
  processorId,
  force = false,
  now = () => new Date(),
  onRefreshFailed,
}: GetAccessTokenOptions): Promise<MailboxAccessToken> {
  let attempted = false;
  const outcome = await db.transaction(async (tx): Promise<Outcome> => {
    await tx.execute(sql`select pg_advisory_xact_lock(${REFRESH_LOCK_SPACE}, hashtext(${processorId}))`);
    const [row] = await tx
      .select({
        authMethod: emailProcessors.authMethod,
        providerId: emailProcessors.oauthProviderId,
        refreshToken: emailProcessors.oauthRefreshTokenCiphertext,
        accessToken: emailProcessors.oauthAccessTokenCiphertext,
        expiresAt: emailProcessors.oauthAccessTokenExpiresAt,
        state: emailProcessors.oauthState,
        error: emailProcessors.oauthError,
      })
      .from(emailProcessors)
      .where(eq(emailProcessors.id, processorId));
    if (!row) throw new AppError('NOT_FOUND', 'No such email processor.');
    if (row.authMethod !== 'oauth2' || !row.providerId) throw new AppError('VALIDATION', 'This processor signs in with a password.');
    if (row.state === 'reconnect_needed') return { ok: false, error: reconnectNeeded(row.error) };
    if (!row.refreshToken) return { ok: false, error: reconnectNeeded(null) };
    if (!force && row.accessToken && !refreshDue(row.expiresAt, now())) {
      return { ok: true, token: { accessToken: open(row.accessToken, key), expiresAt: row.expiresAt, refreshed: false } };
    }
    const provider = await loadProviderSecrets({ db: tx, id: row.providerId, key, config });
    let tokens: Awaited<ReturnType<typeof client.refreshTokenGrant>>;
    attempted = true;
    try {
      tokens = await client.refreshTokenGrant(await providerConfiguration(provider), open(row.refreshToken, key));
    } catch (err) {
      if (!(err instanceof client.ResponseBodyError)) return { ok: false, error: providerUnreachable(provider, err) };
      const verdict = judgeRefusal({ error: err.error, description: err.error_description, status: err.status });
      if (verdict.kind === 'retry') {
        return { ok: false, error: new AppError('OAUTH_PROVIDER', `${provider.name} could not renew the sign-in just now (${verdict.words}); retrying.`) };
      }
      // Recorded, and committed: the error is returned, not thrown, so this transaction is kept.
      await tx
        .update(emailProcessors)
        .set({
          oauthState: 'reconnect_needed',
          oauthError: verdict.words,
          oauthErrorAt: now(),
          oauthAccessTokenCiphertext: null,
          oauthAccessTokenExpiresAt: null,
          // Not a settings change: the worker's session stops by itself and waits for Reconnect.
          updatedAt: sql`${emailProcessors.updatedAt}`,
        })
        .where(eq(emailProcessors.id, processorId));
      await notifyProcessorChanged(tx, processorId);
      return { ok: false, error: reconnectNeeded(verdict.words) };
    }
    const expiresIn = tokens.expiresIn();
    const at = now();
    const expiresAt = expiresIn ? new Date(at.getTime() + expiresIn * 1000) : null;
    await tx
      .update(emailProcessors)
      .set({
        // A provider that rotates sends a new refresh token and has consumed the old one: it is stored here or lost.
        ...(tokens.refresh_token ? { oauthRefreshTokenCiphertext: seal(tokens.refresh_token, key) } : {}),
        oauthAccessTokenCiphertext: seal(tokens.access_token, key),
        oauthAccessTokenExpiresAt: expiresAt,
        oauthRefreshedAt: at,
        updatedAt: sql`${emailProcessors.updatedAt}`,
      })
      .where(eq(emailProcessors.id, processorId));
    return { ok: true, token: { accessToken: tokens.access_token, expiresAt, refreshed: true } };
  });
  if (!outcome.ok) {
    if (attempted) onRefreshFailed?.(outcome.error);
    throw outcome.error;
  }
  return outcome.token;
}

/**
 * IMAP_AUTH_FAILED for an OAuth2 mailbox: not a wrong password but a token the mail server did not accept (IMAP off
 * for the mailbox, the app without the IMAP permission, or a shared mailbox the signed-in user has no access to).
 */
export function tokenRefusedByServer(err: AppError, host: string, login: string): AppError {
  if (err.code !== 'IMAP_AUTH_FAILED') return err;
  return new AppError(
    'IMAP_AUTH_FAILED',
    `The provider renewed the sign-in, but ${host} refused the token for ${login}. Check that IMAP is enabled for this mailbox, that the app registration has the IMAP permission, and (for a shared mailbox) that the signed-in user has full access to it.`,
    { cause: err },
  );
}

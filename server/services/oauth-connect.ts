// "Connect with …" / "Reconnect" for an OAuth2 processor: the authorization-code flow with PKCE. The state is bound
// to the admin's session (a row in oauth_flows naming the session), used once and valid for ten minutes, so an
// answer from the provider is accepted only in the browser session that asked for it. The tokens go onto the
// processor sealed; the mailbox address comes from the id token (or userinfo) unless the processor names another
// mailbox (a shared mailbox the signed-in user may open).
import { and, eq, lt, sql } from 'drizzle-orm';
import * as client from 'openid-client';
import type { Session } from '../auth/session';
import { open, seal } from '../crypto/secret-box';
import type { Database } from '../db/client';
import { emailProcessors, oauthFlows } from '../db/schema';
import { extraAuthorizationParams } from '../domain/oauth-sign-in';
import { AppError } from '../errors';
import { recordAudit } from './audit';
import { loadProviderSecrets, providerConfiguration, type ProviderSecrets } from './oauth-providers';
import { notifyProcessorChanged } from './processors';
import type { OAuthEnv } from './oauth-tokens';

export const OAUTH_CALLBACK_PATH = '/api/oauth/callback';
const FLOW_TTL_MS = 10 * 60 * 1000;

export function oauthRedirectUri(publicUrl: string): string {
  return new URL(OAUTH_CALLBACK_PATH, publicUrl).href;
}

function requireAdmin(session: Session | null): Session {
  if (!session) throw new AppError('UNAUTHORIZED', 'Sign in to continue.');
  if (session.user.role !== 'admin') throw new AppError('FORBIDDEN', 'Not allowed: this needs the admin role.');
  return session;
}

export function providerUnreachable(provider: Pick<ProviderSecrets, 'name' | 'issuerUrl'>, err: unknown): AppError {
  const detail = err instanceof Error ? err.message : String(err);
  return new AppError('OAUTH_PROVIDER', `Could not reach ${provider.name} at ${provider.issuerUrl}: ${detail}`, { cause: err });
}

export type StartConnectOptions = { db: Database; key: Buffer; config: OAuthEnv; session: Session | null; processorId: string };

/** The provider's sign-in page to send the admin's browser to. */
export async function startOAuthConnect({ db, key, config, session, processorId }: StartConnectOptions): Promise<string> {
  const admin = requireAdmin(session);
  const [processor] = await db
    .select({ id: emailProcessors.id, authMethod: emailProcessors.authMethod, providerId: emailProcessors.oauthProviderId, login: emailProcessors.login })
    .from(emailProcessors)
    .where(eq(emailProcessors.id, processorId));
  if (!processor) throw new AppError('NOT_FOUND', 'No such email processor.');
  if (processor.authMethod !== 'oauth2' || !processor.providerId) {
    throw new AppError('VALIDATION', 'This processor signs in with a password. Choose OAuth2 and a provider under Edit first.');
  }
  const provider = await loadProviderSecrets({ db, id: processor.providerId, key, config });
  let configuration: client.Configuration;
  try {
    configuration = await providerConfiguration(provider);
  } catch (err) {
    throw providerUnreachable(provider, err);
  }
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  await db.transaction(async (tx) => {
    await tx.delete(oauthFlows).where(lt(oauthFlows.expiresAt, new Date()));
    await tx.insert(oauthFlows).values({
      state,
      codeVerifierCiphertext: seal(codeVerifier, key),
      nonce,
      sessionId: admin.sessionId,
      userId: admin.user.id,
      processorId,
      providerId: provider.id,
      expiresAt: new Date(Date.now() + FLOW_TTL_MS),
    });
    await recordAudit({ db: tx, actor: admin.user, action: 'processor.oauth_connect_started', entityType: 'processor', entityId: processorId, details: { provider: provider.name } });
  });
  const url = client.buildAuthorizationUrl(configuration, {
    redirect_uri: oauthRedirectUri(config.publicUrl),
    response_type: 'code',
    scope: provider.scopes,
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...(processor.login.includes('@') ? { login_hint: processor.login } : {}),
    ...extraAuthorizationParams(provider.kind, provider.scopes),
  });
  return url.href;
}

const REFUSED_STATE = 'This sign-in answer does not belong to a connection started in this browser session (or it expired). Open the processor and press Connect again.';

export type CompleteConnectOptions = { db: Database; key: Buffer; config: OAuthEnv; session: Session | null; query: URLSearchParams };

/** The provider sent the browser back: check the state against this session, exchange the code, store the tokens. */
export async function completeOAuthConnect({ db, key, config, session, query }: CompleteConnectOptions): Promise<{ processorId: string; address: string }> {
  const admin = requireAdmin(session);
  const state = query.get('state');
  if (!state) throw new AppError('FORBIDDEN', REFUSED_STATE);
  // Used once: deleted whether or not what follows succeeds.
  const [flow] = await db.delete(oauthFlows).where(eq(oauthFlows.state, state)).returning();
  if (!flow || flow.expiresAt.getTime() < Date.now() || flow.sessionId !== admin.sessionId) {
    throw new AppError('FORBIDDEN', REFUSED_STATE);
  }
  const provider = await loadProviderSecrets({ db, id: flow.providerId, key, config });
  if (query.get('error')) {
    const words = [query.get('error'), query.get('error_description')].filter(Boolean).join(': ');
    throw new AppError('VALIDATION', `${provider.name} did not grant access: ${words}`);
  }
  let configuration: client.Configuration;
  try {
    configuration = await providerConfiguration(provider);
  } catch (err) {
    throw providerUnreachable(provider, err);
  }
  // The redirect URI registered at the provider, with the answer's parameters: behind a proxy the request's own URL
  // names the internal host.
  const currentUrl = new URL(oauthRedirectUri(config.publicUrl));
  currentUrl.search = query.toString();
  const openid = provider.scopes.split(' ').includes('openid');
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
      pkceCodeVerifier: open(flow.codeVerifierCiphertext, key),
      expectedState: state,
      ...(openid ? { expectedNonce: flow.nonce, idTokenExpected: true } : {}),
    });
  } catch (err) {
    if (err instanceof client.ResponseBodyError || err instanceof client.AuthorizationResponseError) {
      const words = err.error_description ? `${err.error}: ${err.error_description}` : err.error;
      throw new AppError('VALIDATION', `${provider.name} refused the sign-in: ${words}`, { cause: err });
    }
    throw providerUnreachable(provider, err);
  }
  if (!tokens.refresh_token) {
    throw new AppError(
      'VALIDATION',
      `${provider.name} gave no refresh token, so the mailbox could not stay signed in. Check the scopes (offline_access for Microsoft and OpenID providers; Google needs consent, which Leopard asks for).`,
    );
  }
  const address = await signedInAddress(configuration, tokens);
  const expiresIn = tokens.expiresIn();
  const now = new Date();
  await db.transaction(async (tx) => {
    const [processor] = await tx
      .select({ login: emailProcessors.login })
      .from(emailProcessors)
      .where(eq(emailProcessors.id, flow.processorId))
      .for('update');
    if (!processor) throw new AppError('NOT_FOUND', 'The processor was deleted meanwhile.');
    await tx
      .update(emailProcessors)
      .set({
        // An empty login means "the signed-in account's own mailbox"; a given one (a shared mailbox) stays.
        ...(processor.login.trim() === '' && address ? { login: address } : {}),
        oauthRefreshTokenCiphertext: seal(tokens.refresh_token!, key),
        oauthAccessTokenCiphertext: seal(tokens.access_token, key),
        oauthAccessTokenExpiresAt: expiresIn ? new Date(now.getTime() + expiresIn * 1000) : null,
        oauthRefreshedAt: now,
        oauthState: 'connected',
        oauthError: null,
        oauthErrorAt: null,
        syncStatus: null,
        lastError: null,
        lastErrorCode: null,
      })
      .where(eq(emailProcessors.id, flow.processorId));
    await recordAudit({
      db: tx,
      actor: admin.user,
      action: 'processor.oauth_connected',
      entityType: 'processor',
      entityId: flow.processorId,
      details: { provider: provider.name, account: address },
    });
    await notifyProcessorChanged(tx, flow.processorId);
  });
  return { processorId: flow.processorId, address: address ?? '' };
}

/** The signed-in account's address: the id token's email (or preferred_username, Microsoft's UPN), else userinfo's. */
async function signedInAddress(
  configuration: client.Configuration,
  tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>,
): Promise<string | null> {
  const claims = tokens.claims();
  const fromToken = [claims?.email, claims?.preferred_username].find((v): v is string => typeof v === 'string' && v.includes('@'));
  if (fromToken) return fromToken.toLowerCase();
  if (!claims?.sub || !configuration.serverMetadata().userinfo_endpoint) return null;
  try {
    const info = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
    return typeof info.email === 'string' ? info.email.toLowerCase() : null;
  } catch {
    // Microsoft's access token is for Exchange, not for its userinfo endpoint; the id token had to say it.
    return null;
  }
}

/** Flows of this session still open (for tests and the audit of abandoned attempts). */
export async function openFlowCount(db: Database, sessionId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(oauthFlows).where(and(eq(oauthFlows.sessionId, sessionId)));
  return row?.n ?? 0;
}

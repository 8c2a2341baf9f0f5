// OAuth2 providers (app registrations) for mailboxes: entered by an admin under CRM Admin → OAuth providers, or
// given by environment variables (OAUTH_MICROSOFT_*, OAUTH_GOOGLE_*), which are kept in step here as rows of their
// own that the UI shows but cannot edit. The client secret is sealed with SECRET_KEY and never leaves this module
// except to talk to the provider; views say only whether one is stored.
import { asc, eq, sql } from 'drizzle-orm';
import * as client from 'openid-client';
import { open, seal } from '../crypto/secret-box';
import type { Database, DbOrTx } from '../db/client';
import { emailProcessors, oauthProviders } from '../db/schema';
import { isLoopbackHttpIssuer, type OAuthProviderKind, providerPreset, secretExpiry, type SecretExpiry } from '../domain/oauth-sign-in';
import type { Env } from '../env';
import { AppError } from '../errors';
import { type AuditActor, recordAudit } from './audit';

export type OAuthProviderView = {
  id: string;
  name: string;
  kind: OAuthProviderKind;
  issuerUrl: string;
  tenantId: string | null;
  clientId: string;
  hasClientSecret: boolean;
  secretExpiresOn: string | null;
  secretExpiry: SecretExpiry;
  scopes: string;
  /** Given by environment variables: shown, not editable. */
  fromEnvironment: boolean;
  processorCount: number;
};

const viewColumns = {
  id: oauthProviders.id,
  name: oauthProviders.name,
  kind: oauthProviders.kind,
  issuerUrl: oauthProviders.issuerUrl,
  tenantId: oauthProviders.tenantId,
  clientId: oauthProviders.clientId,
  hasClientSecret: sql<boolean>`${oauthProviders.clientSecretCiphertext} is not null or ${oauthProviders.envKey} is not null`,
  secretExpiresOn: oauthProviders.secretExpiresOn,
  scopes: oauthProviders.scopes,
  envKey: oauthProviders.envKey,
  processorCount: sql<number>`(select count(*)::int from email_processors p where p.oauth_provider_id = "oauth_providers"."id")`,
};

type ViewRow = { [K in keyof typeof viewColumns]: unknown };

function toView(row: ViewRow, today = new Date()): OAuthProviderView {
  const { envKey, ...rest } = row as Omit<OAuthProviderView, 'fromEnvironment' | 'secretExpiry'> & { envKey: string | null };
  return { ...rest, fromEnvironment: envKey !== null, secretExpiry: secretExpiry(rest.name, rest.secretExpiresOn, today) };
}

type EnvProviders = Pick<
  Env,
  | 'OAUTH_MICROSOFT_TENANT'
  | 'OAUTH_MICROSOFT_CLIENT_ID'
  | 'OAUTH_MICROSOFT_CLIENT_SECRET'
  | 'OAUTH_MICROSOFT_SECRET_EXPIRES_ON'
  | 'OAUTH_GOOGLE_CLIENT_ID'
  | 'OAUTH_GOOGLE_CLIENT_SECRET'
>;

function envProviderRows(config: EnvProviders) {
  const rows: Array<typeof oauthProviders.$inferInsert> = [];
  if (config.OAUTH_MICROSOFT_CLIENT_ID && config.OAUTH_MICROSOFT_TENANT) {
    const preset = providerPreset('microsoft', config.OAUTH_MICROSOFT_TENANT);
    rows.push({
      envKey: 'OAUTH_MICROSOFT',
      name: preset.name,
      kind: 'microsoft',
      issuerUrl: preset.issuerUrl,
      tenantId: config.OAUTH_MICROSOFT_TENANT,
      clientId: config.OAUTH_MICROSOFT_CLIENT_ID,
      secretExpiresOn: config.OAUTH_MICROSOFT_SECRET_EXPIRES_ON ?? null,
      scopes: preset.scopes,
    });
  }
  if (config.OAUTH_GOOGLE_CLIENT_ID) {
    const preset = providerPreset('google');
    rows.push({ envKey: 'OAUTH_GOOGLE', name: preset.name, kind: 'google', issuerUrl: preset.issuerUrl, clientId: config.OAUTH_GOOGLE_CLIENT_ID, scopes: preset.scopes });
  }
  return rows;
}

/** Brings the rows of environment-given providers in line with the environment (idempotent; a removed variable keeps its row while processors use it). */
export async function syncEnvironmentProviders({ db, config }: { db: DbOrTx; config: EnvProviders }): Promise<void> {
  for (const row of envProviderRows(config)) {
    await db
      .insert(oauthProviders)
      .values(row)
      .onConflictDoUpdate({
        target: oauthProviders.envKey,
        set: { name: row.name, issuerUrl: row.issuerUrl, tenantId: row.tenantId ?? null, clientId: row.clientId, secretExpiresOn: row.secretExpiresOn ?? null, scopes: row.scopes },
      });
  }
}

export async function listOAuthProviders({ db, config }: { db: Database; config: EnvProviders }): Promise<OAuthProviderView[]> {
  await syncEnvironmentProviders({ db, config });
  const rows = await db.select(viewColumns).from(oauthProviders).orderBy(asc(oauthProviders.name));
  return rows.map((r) => toView(r));
}

export type SaveOAuthProviderInput = {
  id?: string;
  name: string;
  kind: OAuthProviderKind;
  issuerUrl: string;
  tenantId?: string | null;
  clientId: string;
  /** Empty or absent: keep the stored one. */
  clientSecret?: string;
  secretExpiresOn?: string | null;
  scopes: string;
};

function validIssuer(issuerUrl: string): void {
  let url: URL;
  try {
    url = new URL(issuerUrl);
  } catch {
    throw new AppError('VALIDATION', 'Enter the issuer URL, e.g. https://login.example.com.', { fieldErrors: { issuerUrl: 'Enter a URL.' } });
  }
  if (url.protocol !== 'https:' && !isLoopbackHttpIssuer(issuerUrl)) {
    throw new AppError('VALIDATION', 'The issuer URL must use https.', { fieldErrors: { issuerUrl: 'The issuer URL must use https.' } });
  }
}

export async function saveOAuthProvider({ db, actor, key, input }: { db: Database; actor: AuditActor; key: Buffer; input: SaveOAuthProviderInput }) {
  const issuerUrl = input.kind === 'microsoft' ? providerPreset('microsoft', input.tenantId ?? '').issuerUrl : input.issuerUrl.trim();
  if (input.kind === 'microsoft' && !input.tenantId?.trim()) {
    throw new AppError('VALIDATION', 'Enter the directory (tenant) id.', { fieldErrors: { tenantId: 'Enter the directory (tenant) id or domain.' } });
  }
  validIssuer(issuerUrl);
  const values = {
    name: input.name.trim(),
    kind: input.kind,
    issuerUrl,
    tenantId: input.kind === 'microsoft' ? input.tenantId!.trim() : null,
    clientId: input.clientId.trim(),
    secretExpiresOn: input.secretExpiresOn || null,
    scopes: input.scopes.trim().split(/\s+/).join(' '),
    ...(input.clientSecret ? { clientSecretCiphertext: seal(input.clientSecret, key) } : {}),
  };
  return db.transaction(async (tx) => {
    let id = input.id;
    if (id) {
      const [current] = await tx.select({ envKey: oauthProviders.envKey }).from(oauthProviders).where(eq(oauthProviders.id, id)).for('update');
      if (!current) throw new AppError('NOT_FOUND', 'No such OAuth provider.');
      if (current.envKey) throw new AppError('VALIDATION', `This provider is set by the ${current.envKey}_* environment variables; change them instead.`);
      await tx.update(oauthProviders).set(values).where(eq(oauthProviders.id, id));
    } else {
      if (!input.clientSecret) {
        throw new AppError('VALIDATION', 'Enter the client secret.', { fieldErrors: { clientSecret: 'Enter the client secret of the app registration.' } });
      }
      const [created] = await tx.insert(oauthProviders).values(values).returning({ id: oauthProviders.id });
      id = created!.id;
    }
    const { clientSecretCiphertext: _secret, ...auditable } = values as typeof values & { clientSecretCiphertext?: string };
    await recordAudit({
      db: tx,
      actor,
      action: input.id ? 'oauth_provider.updated' : 'oauth_provider.created',
      entityType: 'oauth_provider',
      entityId: id,
      details: { ...auditable, ...(input.clientSecret ? { secretChanged: true } : {}) },
    });
    discoveryCache.delete(id);
    const [row] = await tx.select(viewColumns).from(oauthProviders).where(eq(oauthProviders.id, id));
    return toView(row!);
  });
}

export async function deleteOAuthProvider({ db, actor, id }: { db: Database; actor: AuditActor; id: string }): Promise<void> {
  await db.transaction(async (tx) => {
    const [used] = await tx.select({ n: sql<number>`count(*)::int` }).from(emailProcessors).where(eq(emailProcessors.oauthProviderId, id));
    if ((used?.n ?? 0) > 0) throw new AppError('CONFLICT', 'Processors sign in with this provider; move them to another one first.');
    const deleted = await tx.delete(oauthProviders).where(eq(oauthProviders.id, id)).returning({ name: oauthProviders.name, envKey: oauthProviders.envKey });
    if (deleted.length === 0) throw new AppError('NOT_FOUND', 'No such OAuth provider.');
    await recordAudit({ db: tx, actor, action: 'oauth_provider.deleted', entityType: 'oauth_provider', entityId: id, details: { name: deleted[0]!.name } });
  });
}

export type ProviderSecrets = {
  id: string;
  name: string;
  kind: OAuthProviderKind;
  issuerUrl: string;
  clientId: string;
  clientSecret: string | undefined;
  scopes: string;
  updatedAt: Date;
};

/** The only place a client secret is opened: to talk to the provider. */
export async function loadProviderSecrets({ db, id, key, config }: { db: DbOrTx; id: string; key: Buffer; config: EnvProviders }): Promise<ProviderSecrets> {
  const [row] = await db.select().from(oauthProviders).where(eq(oauthProviders.id, id));
  if (!row) throw new AppError('NOT_FOUND', 'No such OAuth provider.');
  const clientSecret =
    row.envKey === 'OAUTH_MICROSOFT'
      ? config.OAUTH_MICROSOFT_CLIENT_SECRET
      : row.envKey === 'OAUTH_GOOGLE'
        ? config.OAUTH_GOOGLE_CLIENT_SECRET
        : row.clientSecretCiphertext
          ? open(row.clientSecretCiphertext, key)
          : undefined;
  return { id: row.id, name: row.name, kind: row.kind, issuerUrl: row.issuerUrl, clientId: row.clientId, clientSecret, scopes: row.scopes, updatedAt: row.updatedAt };
}

// Discovery documents change rarely; one per provider version, for ten minutes.
const DISCOVERY_TTL_MS = 10 * 60 * 1000;
const discoveryCache = new Map<string, { version: number; at: number; config: Promise<client.Configuration> }>();
// A provider that does not answer must not hold a worker or an admin's page for long.
const PROVIDER_TIMEOUT_S = 15;

/** openid-client's configuration for a provider (OpenID discovery), cached. */
export function providerConfiguration(provider: ProviderSecrets): Promise<client.Configuration> {
  const cached = discoveryCache.get(provider.id);
  const version = provider.updatedAt.getTime();
  if (cached && cached.version === version && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.config;
  const insecure = isLoopbackHttpIssuer(provider.issuerUrl);
  const config = client
    .discovery(
      new URL(provider.issuerUrl),
      provider.clientId,
      provider.clientSecret,
      provider.clientSecret ? client.ClientSecretPost(provider.clientSecret) : client.None(),
      { execute: insecure ? [client.allowInsecureRequests] : [], timeout: PROVIDER_TIMEOUT_S },
    )
    .then((c) => {
      c.timeout = PROVIDER_TIMEOUT_S;
      return c;
    });
  discoveryCache.set(provider.id, { version, at: Date.now(), config });
  config.catch(() => discoveryCache.delete(provider.id));
  return config;
}

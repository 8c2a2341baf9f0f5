// OAuth2 sign-in for mailboxes (Microsoft 365, Google, any OpenID provider). The app registration an admin
// enters once per provider, and the short-lived state of a "Connect with …" flow. Tokens themselves live on
// the processor (email_processors.oauth_*), sealed like mailbox passwords.
import { date, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns';
import { emailProcessors } from './processors';
import { userSessions, users } from './users';

// The presets are filled-in custom providers: the kind only chooses the defaults shown and the extra
// authorization parameters (Google's access_type=offline&prompt=consent), never a separate code path.
export const oauthProviderKind = pgEnum('oauth_provider_kind', ['microsoft', 'google', 'custom']);

export const oauthProviders = pgTable('oauth_providers', {
  id: id(),
  name: text('name').notNull(),
  kind: oauthProviderKind('kind').notNull(),
  // OpenID discovery starts here (/.well-known/openid-configuration).
  issuerUrl: text('issuer_url').notNull(),
  // Microsoft Entra: the directory (tenant) id or domain the issuer URL was built from.
  tenantId: text('tenant_id'),
  clientId: text('client_id').notNull(),
  // Sealed with SECRET_KEY (server/crypto/secret-box.ts); never leaves the server. Null for a provider given by
  // environment variables (the secret stays in the environment) or a public client.
  clientSecretCiphertext: text('client_secret_ciphertext'),
  // Entra secrets expire (24 months at most): the processor list warns 14 days ahead.
  secretExpiresOn: date('secret_expires_on', { mode: 'string' }),
  // Space-separated, as sent in the authorization request.
  scopes: text('scopes').notNull(),
  // Set for providers given by environment variables (OAUTH_MICROSOFT_*, OAUTH_GOOGLE_*): the name of the
  // variable group. Such rows are kept in step with the environment and cannot be edited in the UI.
  envKey: text('env_key').unique(),
  ...timestamps,
});

// One "Connect with …" in progress. The state is bound to the admin's session: a callback that carries a
// state of another session, or none, is refused. Rows live ten minutes and are used once.
export const oauthFlows = pgTable('oauth_flows', {
  state: text('state').primaryKey(),
  // PKCE code_verifier, sealed.
  codeVerifierCiphertext: text('code_verifier_ciphertext').notNull(),
  nonce: text('nonce').notNull(),
  sessionId: uuid('session_id')
    .notNull()
    .references(() => userSessions.id, { onDelete: 'cascade' }),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  processorId: uuid('processor_id')
    .notNull()
    .references(() => emailProcessors.id, { onDelete: 'cascade' }),
  providerId: uuid('provider_id')
    .notNull()
    .references(() => oauthProviders.id, { onDelete: 'cascade' }),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

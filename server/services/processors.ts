// Email processors: one per mailbox. Passwords are sealed with SECRET_KEY on the way in and
// never leave this module except to open an IMAP connection. Every change is audited and
// announced on PROCESSORS_CHANNEL, so workers pick it up within a second.
import { asc, eq, sql } from 'drizzle-orm';
import { open, seal } from '../crypto/secret-box';
import type { Database, DbOrTx } from '../db/client';
import { emailProcessors, pop3Taken } from '../db/schema';
import { deriveProcessorState, type ProcessorNotice, processorNotices, type ProcessorState } from '../domain/processor-state';
import { secretExpiry, type SecretExpiry } from '../domain/oauth-sign-in';
import type { CreateProcessorInput, UpdateProcessorInput } from '../domain/processor-settings';
import { mayReuseStoredPassword, RETYPE_PASSWORD_MESSAGE } from '../domain/stored-password-reuse';
import { AppError } from '../errors';
import type { ImapConnectionSettings } from '../mail/imap-probe';
import { type AuditActor, recordAudit } from './audit';

export const PROCESSORS_CHANNEL = 'leopard_processors';

export type ProcessorView = {
  id: string;
  emailAddress: string;
  name: string;
  active: boolean;
  host: string;
  type: 'imap' | 'pop3';
  port: number;
  useSsl: boolean;
  login: string;
  autoReply: boolean;
  allowUntrustedCert: boolean;
  allowCleartextLogin: boolean;
  markSeen: boolean;
  checkIntervalSeconds: number | null;
  /** POP3: seconds between polls (null: POP3_POLL_INTERVAL_MS) and days after which stored mail is deleted (null: kept). */
  pollIntervalSeconds: number | null;
  pop3DeleteAfterDays: number | null;
  authservId: string | null;
  dmarcFailNewContact: boolean;
  dmarcFailNoAutoReply: boolean;
  dmarcFailFlag: boolean;
  /** OAuth2: the provider, whether the sign-in works, the provider's words when it refused; never a token. */
  authMethod: 'password' | 'oauth2';
  oauthProviderId: string | null;
  oauthProviderName: string | null;
  oauthState: 'connected' | 'reconnect_needed' | null;
  oauthError: string | null;
  oauthErrorAt: Date | null;
  oauthRefreshedAt: Date | null;
  /** The provider's client secret expires within 14 days (or has): the list warns. */
  oauthSecretExpiry: SecretExpiry;
  filterCount: number;
  state: ProcessorState;
  /** Measured delays, slow push, listing discrepancies (server/domain/processor-state.ts processorNotices). */
  notices: ProcessorNotice[];
  lastSuccessAt: Date | null;
  lastErrorAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

// Every column but the password: the one list of what may leave the server.
const viewColumns = {
  id: emailProcessors.id,
  emailAddress: emailProcessors.emailAddress,
  name: emailProcessors.name,
  active: emailProcessors.active,
  host: emailProcessors.host,
  type: emailProcessors.type,
  port: emailProcessors.port,
  useSsl: emailProcessors.useSsl,
  login: emailProcessors.login,
  autoReply: emailProcessors.autoReply,
  allowUntrustedCert: emailProcessors.allowUntrustedCert,
  allowCleartextLogin: emailProcessors.allowCleartextLogin,
  markSeen: emailProcessors.markSeen,
  checkIntervalSeconds: emailProcessors.checkIntervalSeconds,
  pollIntervalSeconds: emailProcessors.pollIntervalSeconds,
  pop3DeleteAfterDays: emailProcessors.pop3DeleteAfterDays,
  authservId: emailProcessors.authservId,
  dmarcFailNewContact: emailProcessors.dmarcFailNewContact,
  dmarcFailNoAutoReply: emailProcessors.dmarcFailNoAutoReply,
  dmarcFailFlag: emailProcessors.dmarcFailFlag,
  authMethod: emailProcessors.authMethod,
  oauthProviderId: emailProcessors.oauthProviderId,
  oauthProviderName: sql<string | null>`(select o.name from oauth_providers o where o.id = "email_processors"."oauth_provider_id")`,
  oauthSecretExpiresOn: sql<string | null>`(select o.secret_expires_on::text from oauth_providers o where o.id = "email_processors"."oauth_provider_id")`,
  oauthState: emailProcessors.oauthState,
  oauthError: emailProcessors.oauthError,
  oauthErrorAt: emailProcessors.oauthErrorAt,
  oauthRefreshedAt: emailProcessors.oauthRefreshedAt,
  lastErrorCode: emailProcessors.lastErrorCode,
  deliveryDelaysMs: emailProcessors.deliveryDelaysMs,
  unannouncedMailAt: emailProcessors.unannouncedMailAt,
  listingDiscrepancy: emailProcessors.listingDiscrepancy,
  listingDiscrepancyAt: emailProcessors.listingDiscrepancyAt,
  syncStatus: emailProcessors.syncStatus,
  lastError: emailProcessors.lastError,
  importDone: emailProcessors.importDone,
  importTotal: emailProcessors.importTotal,
  lastSuccessAt: emailProcessors.lastSuccessAt,
  lastErrorAt: emailProcessors.lastErrorAt,
  createdAt: emailProcessors.createdAt,
  updatedAt: emailProcessors.updatedAt,
  // Spelled out: drizzle drops table names in single-table selects, which would bind "id" to the filter.
  filterCount: sql<number>`(select count(*)::int from processor_filters f where f.processor_id = "email_processors"."id")`,
};

type ViewRow = { [K in keyof typeof viewColumns]: unknown } & Record<string, unknown>;

function toView(row: ViewRow): ProcessorView {
  const { syncStatus, lastError, importDone, importTotal, lastErrorCode, deliveryDelaysMs, unannouncedMailAt, listingDiscrepancy, listingDiscrepancyAt, oauthSecretExpiresOn, ...rest } =
    row as unknown as Omit<ProcessorView, 'state' | 'notices' | 'oauthSecretExpiry'> & {
      oauthSecretExpiresOn: string | null;
      syncStatus: 'connecting' | 'importing' | 'idle' | 'error' | null;
      lastError: string | null;
      importDone: number;
      importTotal: number;
      lastErrorCode: string | null;
      deliveryDelaysMs: number[];
      unannouncedMailAt: Date | null;
      listingDiscrepancy: string | null;
      listingDiscrepancyAt: Date | null;
    };
  const input = {
    active: rest.active,
    filterCount: rest.filterCount,
    syncStatus,
    lastError,
    importDone,
    importTotal,
    lastErrorCode,
    lastSuccessAt: rest.lastSuccessAt,
    checkIntervalSeconds: rest.checkIntervalSeconds,
    deliveryDelaysMs,
    unannouncedMailAt,
    listingDiscrepancy,
    listingDiscrepancyAt,
    authMethod: rest.authMethod,
    oauthState: rest.oauthState,
    oauthError: rest.oauthError,
  };
  const oauthSecretExpiry = rest.authMethod === 'oauth2' ? secretExpiry(rest.oauthProviderName ?? 'the OAuth provider', oauthSecretExpiresOn, new Date()) : null;
  return { ...rest, oauthSecretExpiry, state: deriveProcessorState(input), notices: processorNotices(input) };
}

export async function notifyProcessorChanged(db: DbOrTx, processorId: string): Promise<void> {
  // Inside a transaction, Postgres delivers this only on commit.
  await db.execute(sql`select pg_notify(${PROCESSORS_CHANNEL}, ${processorId})`);
}

export async function listProcessors({ db }: { db: Database }): Promise<ProcessorView[]> {
  const rows = await db.select(viewColumns).from(emailProcessors).orderBy(asc(emailProcessors.name), asc(emailProcessors.emailAddress));
  return rows.map(toView);
}

export async function getProcessor({ db, id }: { db: DbOrTx; id: string }): Promise<ProcessorView> {
  const [row] = await db.select(viewColumns).from(emailProcessors).where(eq(emailProcessors.id, id));
  if (!row) throw new AppError('NOT_FOUND', 'No such email processor.');
  return toView(row);
}

function duplicateAddress(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string; constraint_name?: string } })?.cause ?? (err as { code?: string });
  return (cause as { code?: string })?.code === '23505';
}

const DUPLICATE_ADDRESS = () =>
  new AppError('CONFLICT', 'Another processor already reads this mailbox.', {
    fieldErrors: { emailAddress: 'Another processor already reads this mailbox.' },
  });

/** What the audit log may say about a processor's settings: everything but the password. */
function auditableSettings(input: Partial<CreateProcessorInput>) {
  const { password: _password, ...rest } = input;
  return rest;
}

export type CreateProcessorOptions = { db: Database; actor: AuditActor; key: Buffer; input: CreateProcessorInput };

export async function createProcessor({ db, actor, key, input }: CreateProcessorOptions): Promise<ProcessorView> {
  const { password, ...settings } = input;
  try {
    return await db.transaction(async (tx) => {
      const [created] = await tx
        .insert(emailProcessors)
        .values({
          ...settings,
          emailAddress: settings.emailAddress.trim(),
          // An OAuth2 mailbox has no password; its tokens arrive with Connect (server/services/oauth-connect.ts).
          passwordCiphertext: settings.authMethod === 'oauth2' || !password ? null : seal(password, key),
          oauthProviderId: settings.authMethod === 'oauth2' ? settings.oauthProviderId : null,
        })
        .returning({ id: emailProcessors.id });
      await recordAudit({ db: tx, actor, action: 'processor.created', entityType: 'processor', entityId: created.id, details: auditableSettings(input) });
      await notifyProcessorChanged(tx, created.id);
      return getProcessor({ db: tx, id: created.id });
    });
  } catch (err) {
    if (duplicateAddress(err)) throw DUPLICATE_ADDRESS();
    throw err;
  }
}

export type UpdateProcessorOptions = { db: Database; actor: AuditActor; key: Buffer; input: UpdateProcessorInput };

export async function updateProcessor({ db, actor, key, input }: UpdateProcessorOptions): Promise<ProcessorView> {
  const { id, password, ...settings } = input;
  try {
    return await db.transaction(async (tx) => {
      const [current] = await tx
        .select({
          type: emailProcessors.type,
          host: emailProcessors.host,
          login: emailProcessors.login,
          port: emailProcessors.port,
          useSsl: emailProcessors.useSsl,
          allowUntrustedCert: emailProcessors.allowUntrustedCert,
          allowCleartextLogin: emailProcessors.allowCleartextLogin,
          authMethod: emailProcessors.authMethod,
          oauthProviderId: emailProcessors.oauthProviderId,
          hasPassword: sql<boolean>`${emailProcessors.passwordCiphertext} is not null`,
        })
        .from(emailProcessors)
        .where(eq(emailProcessors.id, id))
        .for('update');
      if (!current) throw new AppError('NOT_FOUND', 'No such email processor.');
      const authMethod = settings.authMethod ?? current.authMethod;
      // Another provider (or back to a password) makes the stored tokens meaningless: Connect again.
      const signInChanged = authMethod !== current.authMethod || (authMethod === 'oauth2' && settings.oauthProviderId !== current.oauthProviderId);
      const oauthReset = signInChanged
        ? { oauthRefreshTokenCiphertext: null, oauthAccessTokenCiphertext: null, oauthAccessTokenExpiresAt: null, oauthState: null, oauthError: null, oauthErrorAt: null }
        : {};
      // The stored password stays bound to the server it was typed for (stored-password-reuse.ts).
      const requested = { ...settings, allowCleartextLogin: settings.allowCleartextLogin ?? current.allowCleartextLogin };
      if (authMethod === 'password' && !password && (!current.hasPassword || !mayReuseStoredPassword(current, requested))) {
        throw new AppError('VALIDATION', RETYPE_PASSWORD_MESSAGE, { fieldErrors: { password: RETYPE_PASSWORD_MESSAGE } });
      }
      const mailboxChanged = current.host !== settings.host || current.login !== settings.login || current.port !== settings.port || current.type !== settings.type;
      // The UIDLs taken belong to the old mailbox (POP3): the new one's start over with the cursor.
      if (mailboxChanged) await tx.delete(pop3Taken).where(eq(pop3Taken.processorId, id));
      await tx
        .update(emailProcessors)
        .set({
          ...settings,
          emailAddress: settings.emailAddress.trim(),
          ...(password && authMethod === 'password' ? { passwordCiphertext: seal(password, key) } : {}),
          authMethod,
          oauthProviderId: authMethod === 'oauth2' ? (settings.oauthProviderId ?? null) : null,
          ...oauthReset,
          // A different mailbox starts over: its UIDs mean nothing for the old cursor.
          ...(mailboxChanged ? { uidValidity: null, lastUid: 0, importUntilUid: null, importDone: 0, importTotal: 0 } : {}),
          // New settings deserve a fresh attempt; the worker reports the new state.
          syncStatus: null,
          lastError: null,
        })
        .where(eq(emailProcessors.id, id));
      await recordAudit({
        db: tx,
        actor,
        action: 'processor.updated',
        entityType: 'processor',
        entityId: id,
        details: { ...auditableSettings(settings), ...(password ? { passwordChanged: true } : {}) },
      });
      await notifyProcessorChanged(tx, id);
      return getProcessor({ db: tx, id });
    });
  } catch (err) {
    if (duplicateAddress(err)) throw DUPLICATE_ADDRESS();
    throw err;
  }
}

export async function setProcessorActive({ db, actor, id, active }: { db: Database; actor: AuditActor; id: string; active: boolean }) {
  return db.transaction(async (tx) => {
    const updated = await tx.update(emailProcessors).set({ active }).where(eq(emailProcessors.id, id)).returning({ id: emailProcessors.id });
    if (updated.length === 0) throw new AppError('NOT_FOUND', 'No such email processor.');
    await recordAudit({ db: tx, actor, action: active ? 'processor.activated' : 'processor.deactivated', entityType: 'processor', entityId: id });
    await notifyProcessorChanged(tx, id);
    return getProcessor({ db: tx, id });
  });
}

export async function deleteProcessor({ db, actor, id }: { db: Database; actor: AuditActor; id: string }): Promise<void> {
  await db.transaction(async (tx) => {
    const deleted = await tx
      .delete(emailProcessors)
      .where(eq(emailProcessors.id, id))
      .returning({ emailAddress: emailProcessors.emailAddress, name: emailProcessors.name });
    if (deleted.length === 0) throw new AppError('NOT_FOUND', 'No such email processor.');
    await recordAudit({ db: tx, actor, action: 'processor.deleted', entityType: 'processor', entityId: id, details: deleted[0] });
    await notifyProcessorChanged(tx, id);
  });
}

/** The settings to open an IMAP connection with; the only place a stored password is opened. */
export async function loadImapSettings({
  db,
  id,
  key,
}: {
  db: DbOrTx;
  id: string;
  key: Buffer;
}): Promise<ImapConnectionSettings & { authMethod: 'password' | 'oauth2' }> {
  const [row] = await db.select().from(emailProcessors).where(eq(emailProcessors.id, id));
  if (!row) throw new AppError('NOT_FOUND', 'No such email processor.');
  return {
    host: row.host,
    port: row.port,
    useSsl: row.useSsl,
    login: row.login,
    // OAuth2 mailboxes have none: the caller signs in with an access token (server/services/oauth-tokens.ts).
    password: row.passwordCiphertext ? open(row.passwordCiphertext, key) : '',
    authMethod: row.authMethod,
    allowUntrustedCert: row.allowUntrustedCert,
    allowCleartextLogin: row.allowCleartextLogin,
  };
}

// The outgoing side of a processor: system transport or the mailbox's own SMTP server, the signature of
// replies, the copy in the Sent folder; "Send a test mail"; and the settings the worker sends with.
// The password rules are server/domain/outgoing-server.ts: a typed SMTP password is sealed with the settings
// it was typed for and opened only for them; the mailbox's own password only goes to the mailbox's host.
// Every change and every test is audited (never with a password).
import { eq } from 'drizzle-orm';
import { open, seal } from '../crypto/secret-box';
import type { Database, DbOrTx } from '../db/client';
import { emailProcessors } from '../db/schema';
import {
  bindingMatches,
  decodeSmtpSecret,
  encodeSmtpSecret,
  mailboxPasswordRefusal,
  mayUseMailboxPassword,
  type OutgoingServerInput,
  type SmtpBinding,
  type SmtpSecurity,
} from '../domain/outgoing-server';
import { RETYPE_PASSWORD_MESSAGE } from '../domain/stored-password-reuse';
import { AppError } from '../errors';
import { composeRawMessage } from '../mail/compose-raw';
import { type SmtpServerSettings, smtpSend } from '../mail/smtp-send';
import { type AuditActor, recordAudit } from './audit';
import { loadImapSettings } from './processors';
import { getMailboxAccessToken } from './oauth-tokens';
import { env } from '../env';

export type OutgoingServerView = {
  processorId: string;
  mode: 'system' | 'smtp';
  smtpHost: string;
  smtpPort: number;
  smtpSecurity: SmtpSecurity;
  smtpAllowUntrustedCert: boolean;
  /** Empty: the mailbox's login. */
  smtpLogin: string;
  /** A password typed for the SMTP server is stored (never shown). */
  hasSmtpPassword: boolean;
  signature: string;
  copyToSent: boolean;
  mailbox: { host: string; login: string; emailAddress: string; name: string };
};

async function loadRow(db: DbOrTx, processorId: string) {
  const [row] = await db.select().from(emailProcessors).where(eq(emailProcessors.id, processorId));
  if (!row) throw new AppError('NOT_FOUND', 'No such email processor.');
  return row;
}

type ProcessorRow = Awaited<ReturnType<typeof loadRow>>;

function view(row: ProcessorRow): OutgoingServerView {
  return {
    processorId: row.id,
    mode: row.outgoingMode,
    smtpHost: row.smtpHost ?? '',
    smtpPort: row.smtpPort ?? 587,
    smtpSecurity: row.smtpSecurity,
    smtpAllowUntrustedCert: row.smtpAllowUntrustedCert,
    smtpLogin: row.smtpLogin ?? '',
    hasSmtpPassword: row.smtpPasswordCiphertext !== null,
    signature: row.signature,
    copyToSent: row.copyToSent,
    mailbox: { host: row.host, login: row.login, emailAddress: row.emailAddress, name: row.name },
  };
}

export async function getOutgoingServer({ db, processorId }: { db: DbOrTx; processorId: string }): Promise<OutgoingServerView> {
  return view(await loadRow(db, processorId));
}

function bindingOf(input: Pick<OutgoingServerInput, 'smtpHost' | 'smtpPort' | 'smtpSecurity' | 'smtpLogin' | 'smtpAllowUntrustedCert'>, mailboxLogin: string): SmtpBinding {
  return {
    host: input.smtpHost.trim(),
    port: input.smtpPort,
    security: input.smtpSecurity,
    login: input.smtpLogin.trim() || mailboxLogin,
    allowUntrustedCert: input.smtpAllowUntrustedCert,
  };
}

/**
 * The password an SMTP server with these settings gets: typed now, stored for exactly these settings, or the
 * mailbox's own (only on the mailbox's host). Throws a field error when none may be used.
 */
async function passwordFor(db: DbOrTx, key: Buffer, row: ProcessorRow, input: OutgoingServerInput): Promise<{ password: string; source: 'typed' | 'stored' | 'mailbox' }> {
  const binding = bindingOf(input, row.login);
  if (input.smtpPassword !== '') return { password: input.smtpPassword, source: 'typed' };
  // An OAuth2 mailbox has no password: it signs in to SMTP with its access token (XOAUTH2), see loadProcessorSmtp.
  if (row.authMethod === 'oauth2') return { password: '', source: 'mailbox' };
  if (input.useMailboxPassword) {
    if (!mayUseMailboxPassword(row.host, binding.host)) {
      const message = mailboxPasswordRefusal(row.host, binding.host);
      throw new AppError('VALIDATION', message, { fieldErrors: { smtpPassword: message } });
    }
    return { password: (await loadImapSettings({ db, id: row.id, key })).password, source: 'mailbox' };
  }
  const stored = row.smtpPasswordCiphertext ? decodeSmtpSecret(open(row.smtpPasswordCiphertext, key)) : null;
  if (!stored || !bindingMatches(stored.binding, binding)) {
    const message = stored ? RETYPE_PASSWORD_MESSAGE : 'Type the password for the SMTP server.';
    throw new AppError('VALIDATION', message, { fieldErrors: { smtpPassword: message } });
  }
  return { password: stored.password, source: 'stored' };
}

export type UpdateOutgoingServerOptions = { db: Database; actor: AuditActor; key: Buffer; input: OutgoingServerInput };

export async function updateOutgoingServer({ db, actor, key, input }: UpdateOutgoingServerOptions): Promise<OutgoingServerView> {
  return db.transaction(async (tx) => {
    const row = await loadRow(tx, input.processorId);
    let smtpPasswordCiphertext = row.smtpPasswordCiphertext;
    let passwordSource: string = 'unchanged';
    if (input.mode === 'smtp') {
      const { password, source } = await passwordFor(tx, key, row, input);
      passwordSource = source;
      // The mailbox's own password is not copied: null means "the mailbox's", checked again at every send.
      smtpPasswordCiphertext = source === 'mailbox' ? null : seal(encodeSmtpSecret(password, bindingOf(input, row.login)), key);
    }
    const [updated] = await tx
      .update(emailProcessors)
      .set({
        outgoingMode: input.mode,
        smtpHost: input.smtpHost.trim() || null,
        smtpPort: input.smtpPort,
        smtpSecurity: input.smtpSecurity,
        smtpAllowUntrustedCert: input.smtpAllowUntrustedCert,
        smtpLogin: input.smtpLogin.trim() || null,
        smtpPasswordCiphertext,
        signature: input.signature.replace(/\r\n?/g, '\n'),
        copyToSent: input.copyToSent,
      })
      .where(eq(emailProcessors.id, row.id))
      .returning();
    await recordAudit({
      db: tx,
      actor,
      action: 'processor.outgoing_updated',
      entityType: 'processor',
      entityId: row.id,
      details: {
        mode: input.mode,
        smtpHost: input.smtpHost,
        smtpPort: input.smtpPort,
        smtpSecurity: input.smtpSecurity,
        smtpLogin: input.smtpLogin || row.login,
        password: passwordSource,
        copyToSent: input.copyToSent,
        signatureChanged: input.signature !== row.signature,
      },
    });
    return view(updated!);
  });
}

export type TestOutgoingServerOptions = { db: Database; actor: AuditActor; key: Buffer; input: OutgoingServerInput; to: string };

export type TestOutgoingServerResult = { ok: true; response: string; queueId: string | null } | { ok: false; error: string };

/** Sends one mail from the processor's address through the settings typed so far; the server's own words come back. */
export async function testOutgoingServer({ db, actor, key, input, to }: TestOutgoingServerOptions): Promise<TestOutgoingServerResult> {
  const row = await loadRow(db, input.processorId);
  if (input.mode !== 'smtp') {
    return { ok: false, error: "This processor sends through the worker's system transport (RESEND_API_KEY or SMTP_URL); choose the mailbox's SMTP server to test one." };
  }
  const audit = (outcome: string, passwordSource: string) =>
    recordAudit({
      db,
      actor,
      action: 'processor.outgoing_tested',
      entityType: 'processor',
      entityId: row.id,
      details: { smtpHost: input.smtpHost, smtpPort: input.smtpPort, smtpSecurity: input.smtpSecurity, to, password: passwordSource, outcome },
    });
  let password: { password: string; source: string };
  try {
    password = await passwordFor(db, key, row, input);
  } catch (err) {
    await audit('refused: no password may be sent to these settings', 'none');
    throw err;
  }
  const binding = bindingOf(input, row.login);
  const server: SmtpServerSettings = {
    host: binding.host,
    port: binding.port,
    security: binding.security,
    allowUntrustedCert: binding.allowUntrustedCert,
    auth:
      row.authMethod === 'oauth2' && password.source === 'mailbox'
        ? { user: binding.login, accessToken: (await getMailboxAccessToken({ db, key, config: env(), processorId: row.id })).accessToken }
        : { user: binding.login, pass: password.password },
    clientName: row.emailAddress.split('@').pop(),
  };
  const raw = await composeRawMessage({
    from: { address: row.emailAddress, name: row.name },
    to: [{ address: to, name: '' }],
    cc: [],
    subject: `Leopard test mail from ${row.name || row.emailAddress}`,
    text: `This is a test mail sent by Leopard through ${binding.host}:${binding.port} as ${row.emailAddress}.\n`,
    html: null,
    headers: { 'Auto-Submitted': 'auto-generated' },
    attachments: [],
  });
  try {
    const result = await smtpSend({ server, envelope: { from: row.emailAddress, to: [to] }, raw });
    await audit(`sent: ${result.response}`, password.source);
    return { ok: true, response: result.response, queueId: result.queueId };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    await audit(`failed: ${error}`, password.source);
    return { ok: false, error };
  }
}

/** How the worker sends this processor's mail: null for the system transport. */
export type ProcessorSmtp = { server: SmtpServerSettings; label: string } | null;

/** Throws an AppError (permanent for the mail) when the stored settings may not receive a password. */
export async function loadProcessorSmtp({ db, processorId, key }: { db: DbOrTx; processorId: string; key: Buffer }): Promise<ProcessorSmtp> {
  const row = await loadRow(db, processorId);
  if (row.outgoingMode !== 'smtp') return null;
  const host = (row.smtpHost ?? '').trim();
  if (host === '') throw new AppError('VALIDATION', "The processor's outgoing SMTP server has no host: set it in the processor's outgoing mail settings.");
  const binding: SmtpBinding = { host, port: row.smtpPort ?? 587, security: row.smtpSecurity, login: row.smtpLogin ?? row.login, allowUntrustedCert: row.smtpAllowUntrustedCert };
  // An OAuth2 mailbox signs in to its provider's SMTP server with the same access token as to IMAP (XOAUTH2): the
  // token is meant for that provider's mail servers, so the host rule for passwords does not apply.
  if (row.authMethod === 'oauth2' && row.smtpPasswordCiphertext === null) {
    const token = await getMailboxAccessToken({ db: db as Database, key, config: env(), processorId: row.id });
    return {
      server: {
        host,
        port: binding.port,
        security: binding.security,
        allowUntrustedCert: binding.allowUntrustedCert,
        auth: { user: binding.login, accessToken: token.accessToken },
        clientName: row.emailAddress.split('@').pop(),
      },
      label: `smtp:${host}:${binding.port}`,
    };
  }
  let password: string;
  if (row.smtpPasswordCiphertext === null) {
    if (!mayUseMailboxPassword(row.host, host)) throw new AppError('VALIDATION', mailboxPasswordRefusal(row.host, host));
    password = (await loadImapSettings({ db, id: row.id, key })).password;
  } else {
    const stored = decodeSmtpSecret(open(row.smtpPasswordCiphertext, key));
    if (!stored || !bindingMatches(stored.binding, binding)) {
      throw new AppError('VALIDATION', `The stored SMTP password was typed for other settings than ${host}:${binding.port}: type it again in the processor's outgoing mail settings.`);
    }
    password = stored.password;
  }
  return {
    server: {
      host,
      port: binding.port,
      security: binding.security,
      allowUntrustedCert: binding.allowUntrustedCert,
      auth: { user: binding.login, pass: password },
      clientName: row.emailAddress.split('@').pop(),
    },
    label: `smtp:${host}:${binding.port}`,
  };
}

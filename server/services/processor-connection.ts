// "Test connection" for the processor form: with the values typed so far. When editing a processor without
// retyping the password, the stored one is used only if the server settings are the ones it was stored with
// (server/domain/stored-password-reuse.ts); otherwise the admin is asked to type it again and nothing is sent.
// Every attempt is audited, a refused one too: it is what someone aiming a password at their own server does.
import type { Database } from '../db/client';
import { mayReuseStoredPassword, RETYPE_PASSWORD_MESSAGE } from '../domain/stored-password-reuse';
import { AppError } from '../errors';
import { testImapConnection } from '../mail/imap-probe';
import { testPop3Connection } from '../mail/pop3-probe';
import { type AuditActor, recordAudit } from './audit';
import { loadImapSettings } from './processors';
import { getMailboxAccessToken, type OAuthEnv, tokenRefusedByServer } from './oauth-tokens';

export type TestProcessorConnectionOptions = {
  db: Database;
  actor: AuditActor;
  key: Buffer;
  /** For OAuth2 processors: the providers given by the environment. */
  oauthConfig?: OAuthEnv;
  input: { id?: string; type?: 'imap' | 'pop3'; host: string; port: number; useSsl: boolean; login: string; password?: string; allowUntrustedCert: boolean; allowCleartextLogin?: boolean };
};

/** IMAP or POP3: the same settings, the same result, failures with the same codes. */
function probeFor(type: 'imap' | 'pop3' | undefined) {
  return type === 'pop3' ? testPop3Connection : testImapConnection;
}

export async function testProcessorConnection({ db, actor, key, input, oauthConfig }: TestProcessorConnectionOptions) {
  if (input.id && oauthConfig) {
    const stored = await loadImapSettings({ db, id: input.id, key });
    if (stored.authMethod === 'oauth2') return testOAuthConnection({ db, actor, key, oauthConfig, id: input.id, typed: input });
  }
  const { id, password, type, ...typed } = input;
  const probe = probeFor(type);
  const settings = { ...typed, allowCleartextLogin: typed.allowCleartextLogin ?? false };
  const usedStoredPassword = !password;
  const audit = (outcome: string) =>
    recordAudit({
      db,
      actor,
      action: 'processor.connection_tested',
      entityType: 'processor',
      entityId: id ?? null,
      details: { host: settings.host, port: settings.port, useSsl: settings.useSsl, login: settings.login, usedStoredPassword, outcome },
    });

  let effectivePassword = password;
  if (!effectivePassword) {
    if (!id) {
      throw new AppError('VALIDATION', 'Enter the mailbox password to test the connection.', {
        fieldErrors: { password: 'Enter the mailbox password.' },
      });
    }
    const stored = await loadImapSettings({ db, id, key });
    if (!mayReuseStoredPassword({ ...stored, allowCleartextLogin: stored.allowCleartextLogin ?? false }, settings)) {
      await audit('refused: server settings changed without the password');
      throw new AppError('VALIDATION', RETYPE_PASSWORD_MESSAGE, { fieldErrors: { password: RETYPE_PASSWORD_MESSAGE } });
    }
    effectivePassword = stored.password;
  }
  try {
    const result = await probe({ ...settings, password: effectivePassword });
    await audit('connected');
    return { ok: true as const, messageCount: result.messageCount, encryption: result.encryption };
  } catch (err) {
    await audit(`failed: ${err instanceof AppError ? err.code : 'error'}`);
    throw err;
  }
}

/**
 * "Test connection" of an OAuth2 processor: a refresh at the provider (so a revoked consent or an expired secret shows
 * now, in the provider's words), then a login with the new token. Each failure says which of the two it was.
 */
async function testOAuthConnection({
  db,
  actor,
  key,
  oauthConfig,
  id,
  typed,
}: {
  db: Database;
  actor: AuditActor;
  key: Buffer;
  oauthConfig: OAuthEnv;
  id: string;
  typed: TestProcessorConnectionOptions['input'];
}) {
  const stored = await loadImapSettings({ db, id, key });
  const settings = { ...stored, host: typed.host, port: typed.port, useSsl: typed.useSsl, allowUntrustedCert: typed.allowUntrustedCert, allowCleartextLogin: typed.allowCleartextLogin ?? false };
  const audit = (outcome: string) =>
    recordAudit({
      db,
      actor,
      action: 'processor.connection_tested',
      entityType: 'processor',
      entityId: id,
      details: { host: settings.host, port: settings.port, useSsl: settings.useSsl, login: settings.login, signIn: 'oauth2', outcome },
    });
  let accessToken: string;
  try {
    accessToken = (await getMailboxAccessToken({ db, key, config: oauthConfig, processorId: id, force: true })).accessToken;
  } catch (err) {
    await audit(`failed: ${err instanceof AppError ? err.code : 'error'}`);
    throw err;
  }
  try {
    const result = await probeFor(typed.type)({ ...settings, accessToken });
    await audit('connected');
    return { ok: true as const, messageCount: result.messageCount, encryption: result.encryption };
  } catch (err) {
    await audit(`failed: ${err instanceof AppError ? err.code : 'error'}`);
    throw err instanceof AppError ? tokenRefusedByServer(err, settings.host, settings.login) : err;
  }
}

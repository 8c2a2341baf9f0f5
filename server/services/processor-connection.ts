// "Test connection" for the processor form: with the values typed so far. When editing a processor without
// retyping the password, the stored one is used only if the server settings are the ones it was stored with
// (server/domain/stored-password-reuse.ts); otherwise the admin is asked to type it again and nothing is sent.
// Every attempt is audited, a refused one too: it is what someone aiming a password at their own server does.
import type { Database } from '../db/client';
import { mayReuseStoredPassword, RETYPE_PASSWORD_MESSAGE } from '../domain/stored-password-reuse';
import { AppError } from '../errors';
import { testImapConnection } from '../mail/imap-probe';
import { type AuditActor, recordAudit } from './audit';
import { loadImapSettings } from './processors';

export type TestProcessorConnectionOptions = {
  db: Database;
  actor: AuditActor;
  key: Buffer;
  input: { id?: string; host: string; port: number; useSsl: boolean; login: string; password?: string; allowUntrustedCert: boolean; allowCleartextLogin?: boolean };
};

export async function testProcessorConnection({ db, actor, key, input }: TestProcessorConnectionOptions) {
  const { id, password, ...typed } = input;
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
    const result = await testImapConnection({ ...settings, password: effectivePassword });
    await audit('connected');
    return { ok: true as const, messageCount: result.messageCount, encryption: result.encryption };
  } catch (err) {
    await audit(`failed: ${err instanceof AppError ? err.code : 'error'}`);
    throw err;
  }
}

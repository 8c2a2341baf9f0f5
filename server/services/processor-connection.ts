// "Test connection" for the processor form: with the values typed so far, falling back to the
// stored password when editing a processor without retyping it.
import type { Database } from '../db/client';
import { AppError } from '../errors';
import { testImapConnection } from '../mail/imap-probe';
import { loadImapSettings } from './processors';

export type TestProcessorConnectionOptions = {
  db: Database;
  key: Buffer;
  input: { id?: string; host: string; port: number; useSsl: boolean; login: string; password?: string; allowUntrustedCert: boolean; allowCleartextLogin?: boolean };
};

export async function testProcessorConnection({ db, key, input }: TestProcessorConnectionOptions) {
  const { id, password, ...settings } = input;
  let effectivePassword = password;
  if (!effectivePassword) {
    if (!id) {
      throw new AppError('VALIDATION', 'Enter the mailbox password to test the connection.', {
        fieldErrors: { password: 'Enter the mailbox password.' },
      });
    }
    effectivePassword = (await loadImapSettings({ db, id, key })).password;
  }
  const result = await testImapConnection({ ...settings, password: effectivePassword });
  return { ok: true as const, messageCount: result.messageCount, encryption: result.encryption };
}

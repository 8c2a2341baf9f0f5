// A processor's outgoing SMTP server: stored passwords go only to the server they were typed for, and
// "Send a test mail" reports the server's own words. Against a real SMTP server (test/harness/smtp-server.ts).
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAdmin } from '../../test/harness/mailboxes';
import { createSelfSignedCert } from '../../test/harness/self-signed-cert';
import { type FakeSmtpServer, startSmtpServer } from '../../test/harness/smtp-server';
import { createTestDatabase, type TestDatabase } from '../../test/harness/test-database';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { auditLog, emailProcessors } from '../db/schema';
import type { OutgoingServerInput } from '../domain/outgoing-server';
import type { AuditActor } from './audit';
import { loadProcessorSmtp, testOutgoingServer, updateOutgoingServer } from './outgoing-servers';
import { createProcessor } from './processors';

let testDb: TestDatabase;
let admin: AuditActor;
let smtp: FakeSmtpServer;
let processorId: string;
const key = randomBytes(32);
const MAILBOX_PASSWORD = 'mailbox-pass-1';

beforeAll(async () => {
  testDb = await createTestDatabase();
  admin = await seedAdmin(testDb.db);
  const cert = await createSelfSignedCert(mkdtempSync(path.join(os.tmpdir(), 'leopard-smtp-')));
  smtp = await startSmtpServer({ auth: { user: 'support', pass: 'smtp-pass-1' }, tls: { certPem: cert.certPem, keyPem: cert.keyPem } });
  const p = await createProcessor({
    db: testDb.db,
    actor: admin,
    key,
    input: {
      emailAddress: 'support@acme.example',
      name: 'Acme Support',
      active: false,
      host: 'imap.acme.example',
      type: 'imap',
      port: 993,
      useSsl: true,
      login: 'support',
      password: MAILBOX_PASSWORD,
      autoReply: false,
      allowUntrustedCert: false,
    },
  });
  processorId = p.id;
});
afterAll(async () => {
  await smtp?.close();
  await testDb?.drop();
});

const settings = (over: Partial<OutgoingServerInput> = {}): OutgoingServerInput => ({
  processorId,
  mode: 'smtp',
  smtpHost: '127.0.0.1',
  smtpPort: smtp.port,
  smtpSecurity: 'starttls',
  smtpAllowUntrustedCert: true,
  smtpLogin: '',
  smtpPassword: '',
  useMailboxPassword: false,
  signature: '',
  copyToSent: true,
  ...over,
});

describe('the outgoing server of a processor', () => {
  it('refuses to lend the mailbox password to an SMTP host other than the mailbox host', async () => {
    await expect(updateOutgoingServer({ db: testDb.db, actor: admin, key, input: settings({ useMailboxPassword: true }) })).rejects.toMatchObject({
      code: 'VALIDATION',
      fieldErrors: { smtpPassword: expect.stringContaining("only sent to the mailbox's own server (imap.acme.example)") },
    });
    await expect(testOutgoingServer({ db: testDb.db, actor: admin, key, input: settings({ useMailboxPassword: true }), to: 'admin@acme.example' })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(smtp.mails).toHaveLength(0);
    // On the mailbox's own host it is the default.
    const own = await updateOutgoingServer({ db: testDb.db, actor: admin, key, input: settings({ smtpHost: 'IMAP.acme.example', useMailboxPassword: true }) });
    expect(own).toMatchObject({ mode: 'smtp', hasSmtpPassword: false });
    expect((await loadProcessorSmtp({ db: testDb.db, processorId, key }))?.server.auth).toEqual({ user: 'support', pass: MAILBOX_PASSWORD });
  });

  it('sends a stored SMTP password only to the settings it was typed for', async () => {
    await updateOutgoingServer({ db: testDb.db, actor: admin, key, input: settings({ smtpPassword: 'smtp-pass-1' }) });
    const [row] = await testDb.db.select().from(emailProcessors).where(eq(emailProcessors.id, processorId));
    expect(row!.smtpPasswordCiphertext).not.toContain('smtp-pass-1');
    expect((await loadProcessorSmtp({ db: testDb.db, processorId, key }))?.server.auth?.pass).toBe('smtp-pass-1');
    // Another host without the password typed again: refused, nothing sent there.
    await expect(updateOutgoingServer({ db: testDb.db, actor: admin, key, input: settings({ smtpHost: 'smtp.attacker.example' }) })).rejects.toMatchObject({
      fieldErrors: { smtpPassword: 'Type the password again: the server settings changed.' },
    });
    await expect(testOutgoingServer({ db: testDb.db, actor: admin, key, input: settings({ smtpPort: 2525 }), to: 'admin@acme.example' })).rejects.toMatchObject({ code: 'VALIDATION' });
    // A row changed behind the service's back still cannot aim the password elsewhere.
    await testDb.db.update(emailProcessors).set({ smtpHost: 'smtp.attacker.example' }).where(eq(emailProcessors.id, processorId));
    await expect(loadProcessorSmtp({ db: testDb.db, processorId, key })).rejects.toMatchObject({ message: expect.stringContaining('typed for other settings') });
    await testDb.db.update(emailProcessors).set({ smtpHost: '127.0.0.1' }).where(eq(emailProcessors.id, processorId));
  });

  it('sends a test mail from the processor address and reports the server own answer, or its refusal', async () => {
    smtp.reset();
    const ok = await testOutgoingServer({ db: testDb.db, actor: admin, key, input: settings(), to: 'admin@acme.example' });
    expect(ok).toMatchObject({ ok: true, response: expect.stringContaining('queued as') });
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.envelope).toEqual({ from: 'support@acme.example', to: ['admin@acme.example'] });
    expect(smtp.mails[0]!.secure).toBe(true);
    smtp.failNextMessages(1, { code: 554, message: '5.7.1 Sender address rejected: not owned by user support' });
    const refused = await testOutgoingServer({ db: testDb.db, actor: admin, key, input: settings(), to: 'admin@acme.example' });
    expect(refused).toEqual({ ok: false, error: expect.stringContaining('554 5.7.1 Sender address rejected: not owned by user support') });
    const wrong = await testOutgoingServer({ db: testDb.db, actor: admin, key, input: settings({ smtpPassword: 'wrong' }), to: 'admin@acme.example' });
    expect(wrong).toEqual({ ok: false, error: expect.stringContaining('535') });
    const audits = await testDb.db.select().from(auditLog).where(eq(auditLog.action, 'processor.outgoing_tested'));
    expect(audits.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(audits)).not.toContain('smtp-pass-1');
    expect(JSON.stringify(audits)).not.toContain(MAILBOX_PASSWORD);
  });
});

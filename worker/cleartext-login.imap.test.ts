// The worker keeps the same rule as Test connection: without SSL it logs in only after STARTTLS.
// A mailbox behind a server that offers no STARTTLS gets no password and shows why on the
// processor; with "Allow a connection without encryption" it is read in cleartext.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditActor } from '../server/services/audit';
import { type DovecotHarness, startDovecot } from '../test/harness/dovecot';
import { mailboxHarness, type MailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { type NoStarttlsProxy, startNoStarttlsProxy } from '../test/harness/no-starttls-proxy';
import { rawMail } from '../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { eventually, startWorker, type WorkerProcess } from '../test/harness/worker-process';

let dovecot: DovecotHarness;
let proxy: NoStarttlsProxy;
let testDb: TestDatabase;
let worker: WorkerProcess;
let admin: AuditActor;
let harness: MailboxHarness;
const secretKey = randomBytes(32);

beforeAll(async () => {
  [dovecot, testDb] = await Promise.all([startDovecot(), createTestDatabase()]);
  proxy = await startNoStarttlsProxy({ host: dovecot.host, port: dovecot.imapPort });
  admin = await seedAdmin(testDb.db);
  // The processors read the mailboxes through the proxy: a server without STARTTLS.
  harness = mailboxHarness({ dovecot: { addUser: (name?: string) => dovecot.addUser(name), imapPort: proxy.port }, db: testDb.db, admin, secretKey });
  worker = await startWorker({ databaseUrl: testDb.url, secretKey: secretKey.toString('base64'), trustedCertPem: dovecot.certPem });
  await worker.ready();
});

afterAll(async () => {
  await worker?.kill();
  await proxy?.close();
  await dovecot?.stop();
  await testDb?.drop();
});

describe('a mailbox on a server without STARTTLS', () => {
  it('gets no password from the worker, and the processor says the server offers no encryption', async () => {
    const before = proxy.clientBytes().length;
    const box = await harness.connect({ waitForFirstSync: false });
    const row = await eventually('the processor to show an error', () => harness.processorRow(box.processorId), (p) => p.syncStatus === 'error');
    expect(row.lastError).toContain('offers no encryption (no STARTTLS), so Leopard did not send the password');
    const sent = proxy.clientBytes().slice(before);
    expect(sent).not.toMatch(/LOGIN|AUTHENTICATE/i);
  });

  it('is read in cleartext once the admin allowed a connection without encryption', async () => {
    const box = await harness.connect({ allowCleartextLogin: true });
    await dovecot.append(box.user, rawMail({ subject: 'Over a trusted network' }));
    await harness.waitForInbound(box.processorId, 1);
  });
});

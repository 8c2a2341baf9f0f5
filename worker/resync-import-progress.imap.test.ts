// Regression: after a UIDVALIDITY change the mailbox session restarts the import (server/services/
// mailbox-sync.ts beginSync resets import_done to 0), but it took the progress "so far" from what it had
// read before that reset, so the resync announced "importing n of (old total + n)" and ended idle with
// import_done short of import_total: the admin's "n of m" never met.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DovecotHarness, startDovecot } from '../test/harness/dovecot';
import { mailboxHarness, type MailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { rawMail } from '../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { eventually, startWorker, type WorkerProcess } from '../test/harness/worker-process';

const secretKey = randomBytes(32);

let dovecot: DovecotHarness;
let testDb: TestDatabase;
let mailboxes: MailboxHarness;
let worker: WorkerProcess;

beforeAll(async () => {
  [dovecot, testDb] = await Promise.all([startDovecot(), createTestDatabase()]);
  mailboxes = mailboxHarness({ dovecot, db: testDb.db, admin: await seedAdmin(testDb.db), secretKey });
  worker = await startWorker({ databaseUrl: testDb.url, secretKey: secretKey.toString('base64'), trustedCertPem: dovecot.certPem });
  await worker.ready();
});

afterAll(async () => {
  await worker?.kill();
  await dovecot?.stop();
  await testDb?.drop();
});

describe('the import progress of a resync', () => {
  it('counts a resync after a UIDVALIDITY change from zero, so it ends with import_done equal to import_total', async () => {
    const account = await dovecot.addUser();
    let lastUid = 0;
    for (let i = 0; i < 5; i++) lastUid = await dovecot.append(account.user, rawMail({ subject: `Before the move ${i}` }));
    const box = await mailboxes.connect({ account, autoReply: false, waitForFirstSync: false });
    const imported = await eventually('the import', () => mailboxes.processorRow(box.processorId), (p) => p.syncStatus === 'idle' && p.lastUid >= lastUid);
    expect(imported).toMatchObject({ importDone: 5, importTotal: 5 });

    // Dovecot drops the sessions that have INBOX selected; the worker reconnects and finds the new value.
    const uidValidity = Number(await dovecot.bumpUidValidity(account.user));
    const resynced = await eventually(
      'the resync',
      () => mailboxes.processorRow(box.processorId),
      (p) => p.uidValidity === uidValidity && p.syncStatus === 'idle' && p.lastUid >= lastUid,
    );
    expect(resynced).toMatchObject({ importUntilUid: lastUid, importDone: 5, importTotal: 5 });
    expect(await mailboxes.messagesIn(box.processorId)).toHaveLength(5);
  });
});

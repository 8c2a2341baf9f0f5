// Harness mailboxes wired to email processors, for tests that run the real worker: a Dovecot user,
// a processor reading it (through the admin services, as an admin would set it up) and a default
// filter, plus the reads those tests wait on.
//
//   const mailboxes = mailboxHarness({ dovecot, db: testDb.db, admin, secretKey });
//   const box = await mailboxes.connect({ autoReply: true });
//   await dovecot.append(box.user, rawMail());
//   await mailboxes.waitForInbound(box.processorId, 1);
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../server/db/client';
import { caseMessages, emailProcessors } from '../../server/db/schema';
import { seedDefaults } from '../../server/services/bootstrap';
import type { AuditActor } from '../../server/services/audit';
import { createFilter } from '../../server/services/filters';
import { createProcessor } from '../../server/services/processors';
import type { DovecotHarness } from './dovecot';
import type { MailServerHarness } from './mail-server';
import { eventually } from './worker-process';

export type Mailbox = { processorId: string; user: string; address: string };

export type ConnectMailboxOptions = {
  autoReply?: boolean;
  /** Store this password instead of the account's (to provoke an authentication error). */
  password?: string;
  /**
   * Wait until the worker has done its first sync (default true): mail appended before that is an
   * import and gets no auto-reply. Needs a running worker.
   */
  waitForFirstSync?: boolean;
  /** An existing Dovecot user (e.g. one already holding mail); a new one by default. */
  account?: { user: string; password: string; address: string };
  /** Needed for the Cyrus and Courier harnesses: plain IMAP on loopback, no STARTTLS offered. */
  allowCleartextLogin?: boolean;
  /** The processor's "Mark as read on the server" (default on). */
  markSeen?: boolean;
  /** The processor's check interval in seconds (default none). */
  checkIntervalSeconds?: number | null;
};

export type MailboxHarness = ReturnType<typeof mailboxHarness>;

/** The admin of a freshly seeded test database, as the services' audit actor. */
export async function seedAdmin(db: Database): Promise<AuditActor> {
  await seedDefaults({ db, adminEmail: 'admin@acme.example', adminPassword: 'admin-password-1' });
  const [row] = await db.execute<{ id: string; email: string }>(sql`select id, email from users limit 1`);
  return { id: row.id, email: row.email };
}

/** What the harness needs of a mail server: Dovecot, or any of test/harness/mail-server.ts. */
type MailboxServer = Pick<DovecotHarness, 'addUser' | 'imapPort'> | Pick<MailServerHarness, 'addUser' | 'imapPort'>;

export function mailboxHarness({ dovecot, db, admin, secretKey }: { dovecot: MailboxServer; db: Database; admin: AuditActor; secretKey: Buffer }) {
  const processorRow = async (id: string) => (await db.select().from(emailProcessors).where(eq(emailProcessors.id, id)))[0];

  const messagesIn = (processorId: string) =>
    db
      .select({ caseId: caseMessages.caseId, subject: caseMessages.subject, messageId: caseMessages.messageId, threadReason: caseMessages.threadReason })
      .from(caseMessages)
      .where(and(eq(caseMessages.processorId, processorId), eq(caseMessages.direction, 'inbound')));

  const waitForInbound = (processorId: string, count: number, timeoutMs?: number) =>
    eventually(`${count} inbound messages`, () => messagesIn(processorId), (rows) => rows.length >= count, timeoutMs);

  const waitForIdle = (processorId: string, timeoutMs?: number) =>
    eventually('the processor to be idle', () => processorRow(processorId), (p) => p.syncStatus === 'idle', timeoutMs);

  /** A harness mailbox with a processor and a default filter (no condition: matches every message). */
  async function connect(options: ConnectMailboxOptions = {}): Promise<Mailbox> {
    const account = options.account ?? (await dovecot.addUser());
    const processor = await createProcessor({
      db,
      actor: admin,
      key: secretKey,
      input: {
        emailAddress: account.address,
        name: account.user,
        active: true,
        host: '127.0.0.1',
        type: 'imap',
        port: dovecot.imapPort,
        useSsl: false,
        login: account.user,
        password: options.password ?? account.password,
        autoReply: options.autoReply ?? true,
        allowUntrustedCert: false,
        allowCleartextLogin: options.allowCleartextLogin,
        markSeen: options.markSeen,
        checkIntervalSeconds: options.checkIntervalSeconds,
      },
    });
    await createFilter({
      db,
      actor: admin,
      input: {
        processorId: processor.id,
        matchField: null,
        headerName: null,
        matchRule: null,
        matchValue: null,
        priority: 10,
        stopFiltering: false,
        caseTypeId: null,
        casePriorityId: null,
        assignedToId: null,
        managedById: null,
      },
    });
    if (options.waitForFirstSync ?? true) await waitForIdle(processor.id);
    return { processorId: processor.id, user: account.user, address: account.address };
  }

  return { connect, processorRow, messagesIn, waitForInbound, waitForIdle };
}

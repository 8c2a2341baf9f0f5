// One POP3 processor's mailbox. POP3 has no push and shows a maildrop as it was at sign-in, so each poll is a
// session of its own: connect (TLS, or STLS on a plain port), sign in (password, or XOAUTH2 for an OAuth2
// processor), UIDL + LIST, take every message whose UIDL is not taken yet, delete what is due, QUIT; then wait
// the poll interval (the processor's own, else POP3_POLL_INTERVAL_MS).
//
// Exactly once: a message is stored under a UID of the processor's POP3 namespace (the cursor's next number)
// and its UIDL is recorded in pop3_taken in the same transaction (server/services/ingest.ts,
// server/services/pop3-taken.ts). A crash before the commit leaves neither and the next poll takes it again;
// after it, the UIDL is skipped. The first sync is an import (no auto-replies, "n of m"), as for IMAP.
//
// Deletion (delete after N days) only names UIDLs found in pop3_taken, that is mail committed at least N days
// ago, with the size they were taken with; the server removes them at QUIT, and only then are they marked.
//
// What is shared with IMAP sessions: the life cycle (worker/session-lifecycle.ts), the state reporting
// (worker/session-reporter.ts), the lease handling (the supervisor, worker/supervisor.ts), ingest and
// quarantine, the OAuth2 tokens, the error wording's codes.
import { eq } from 'drizzle-orm';
import { emailProcessors } from '../server/db/schema';
import { backoffDelayMs, RECONNECT_BACKOFF } from '../server/domain/retry-backoff';
import { env } from '../server/env';
import { isMailServerError } from '../server/mail/describe-imap-error';
import { describePop3Error } from '../server/mail/describe-pop3-error';
import { Pop3Client, Pop3Error, type Pop3Listing } from '../server/mail/pop3-client';
import { ingestBatch, prepareMessages } from '../server/services/ingest';
import { beginSync, readSessionSettings, type SyncStart } from '../server/services/mailbox-sync';
import { getMailboxAccessToken } from '../server/services/oauth-tokens';
import { dueForDeletion, findTakenUidls, markDeleted, type Pop3Message } from '../server/services/pop3-taken';
import { loadImapSettings } from '../server/services/processors';
import type { MailboxSessionDeps } from './mailbox-session';
import { SessionLifecycle } from './session-lifecycle';

/** The UID namespace (uid_validity) of a POP3 processor's stored messages: POP3 has no UIDVALIDITY. */
export const POP3_UID_NAMESPACE = 1;
/** Messages committed together during an import (as FETCH_BATCH_MESSAGES for IMAP). */
const IMPORT_BATCH_MESSAGES = 50;
const IMPORT_BATCH_BYTES = 8 * 1024 * 1024;

export type Pop3SessionDeps = MailboxSessionDeps & {
  /** The default poll interval; server/env.ts POP3_POLL_INTERVAL_MS when not given. */
  pop3PollIntervalMs?: number;
};

export class Pop3Session extends SessionLifecycle<Pop3Client, Pop3SessionDeps> {
  protected async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let waitMs: number;
      try {
        waitMs = await this.poll(failures > 0 || this.lastSuccessAt === null);
        failures = 0;
      } catch (err) {
        if (this.stopping) break;
        failures += 1;
        const problem = await this.reporter.failed(err, {
          attempt: failures,
          log: this.log(),
          isServerError: (e) => e instanceof Pop3Error || isMailServerError(e),
          describe: describePop3Error,
          server: this.server,
          workedBefore: this.lastSuccessAt,
          signedInAs: this.signedInAs,
        });
        this.client?.close();
        this.client = null;
        if (problem.code === 'OAUTH_RECONNECT_NEEDED') {
          await this.waitForReconnect();
          break;
        }
        // A server without UIDL will not grow it: ask again only now and then.
        waitMs = problem.code === 'IMAP_NO_UIDL' ? 10 * 60_000 : backoffDelayMs(RECONNECT_BACKOFF, failures);
      }
      if (this.stopping) break;
      await this.signal.wait(waitMs);
    }
    this.client?.close();
    this.reporter.ended();
  }

  /** One POP3 session; returns how long to wait before the next. */
  private async poll(showConnecting: boolean): Promise<number> {
    const { db } = this.deps;
    if (showConnecting) await this.reporter.report({ status: 'connecting' });
    const settings = await loadImapSettings({ db, id: this.processorId, key: this.deps.secretKey });
    this.server = { host: settings.host, port: settings.port, useSsl: settings.useSsl };
    const session = await readSessionSettings({ db, processorId: this.processorId });
    const [extra] = await db
      .select({ pollIntervalSeconds: emailProcessors.pollIntervalSeconds, deleteAfterDays: emailProcessors.pop3DeleteAfterDays })
      .from(emailProcessors)
      .where(eq(emailProcessors.id, this.processorId));
    if (!session || !extra) {
      this.endSoon();
      return 0;
    }
    this.lastSuccessAt = session.lastSuccessAt ?? this.lastSuccessAt;
    const waitMs = extra.pollIntervalSeconds ? extra.pollIntervalSeconds * 1000 : (this.deps.pop3PollIntervalMs ?? env().POP3_POLL_INTERVAL_MS);
    let accessToken: string | undefined;
    if (settings.authMethod === 'oauth2') {
      const token = await getMailboxAccessToken({
        db,
        key: this.deps.secretKey,
        config: this.deps.oauthConfig ?? env(),
        processorId: this.processorId,
        onRefreshFailed: () => this.deps.metrics.oauthRefreshFailures.inc({ processor: this.processorId }),
      });
      accessToken = token.accessToken;
      this.signedInAs = settings.login;
    }
    const client = new Pop3Client({ ...settings, accessToken });
    this.client = client;
    const release = await this.deps.connectGate?.enter();
    try {
      if (this.stopping) return 0;
      await client.connect();
    } finally {
      release?.();
    }
    const listing = await client.list();
    const taken = await findTakenUidls(db, this.processorId, listing);
    const fresh = listing.filter((m) => !taken.has(m.uidl));
    let cursor = await beginSync({ db, processorId: this.processorId, uidValidity: POP3_UID_NAMESPACE, uidNext: fresh.length + 1 });
    if (cursor.restarted) session.importDone = 0;
    cursor = await this.take(client, cursor, fresh, session.importDone);
    await this.deleteDue(client, listing, extra.deleteAfterDays);
    this.client = null;
    this.lastSuccessAt = new Date();
    await this.reporter.report({ status: 'idle' });
    return waitMs;
  }

  /** Stores the messages not taken yet, in listing order, each under the cursor's next UID. */
  private async take(client: Pop3Client, cursor: SyncStart, fresh: Pop3Listing, importDoneSoFar: number): Promise<SyncStart> {
    if (fresh.length === 0) return cursor;
    const numbered = fresh.map((m, i) => ({ ...m, uid: cursor.lastUid + i + 1 }));
    const importCount = numbered.filter((m) => m.uid <= cursor.importUntilUid).length;
    if (importCount > 0) await this.reporter.report({ status: 'importing', total: importDoneSoFar + importCount });
    // Import mail is committed in batches; live mail one message a transaction, as its auto-reply reads the one before.
    const batches: Array<typeof numbered> = [];
    let bytes = 0;
    for (const m of numbered) {
      const isImport = m.uid <= cursor.importUntilUid;
      const last = batches.at(-1);
      const lastIsImport = last ? last[0]!.uid <= cursor.importUntilUid : false;
      if (!last || !isImport || !lastIsImport || last.length >= IMPORT_BATCH_MESSAGES || bytes + m.size > IMPORT_BATCH_BYTES) {
        batches.push([m]);
        bytes = m.size;
      } else {
        last.push(m);
        bytes += m.size;
      }
    }
    let lastUid = cursor.lastUid;
    for (const batch of batches) {
      if (this.stopping) break;
      const fetched = [];
      for (const m of batch) fetched.push({ uid: m.uid, raw: await client.retrieve(m.number), isImport: m.uid <= cursor.importUntilUid, resync: cursor.resync && m.uid <= cursor.importUntilUid });
      const messages = await prepareMessages(fetched, this.deps.prepare);
      const pop3 = new Map<number, Pop3Message>(batch.map((m) => [m.uid, { uidl: m.uidl, size: m.size }]));
      const results = await ingestBatch({ db: this.deps.db, processorId: this.processorId, uidValidity: cursor.uidValidity, messages, pop3 });
      this.reporter.ingested(results, this.log(), this.deps.onMailQueued);
      lastUid = Math.max(lastUid, ...batch.map((m) => m.uid));
    }
    return { ...cursor, lastUid };
  }

  private async deleteDue(client: Pop3Client, listing: Pop3Listing, deleteAfterDays: number | null): Promise<void> {
    const due = deleteAfterDays === null ? new Map<string, number>() : await dueForDeletion(this.deps.db, this.processorId, deleteAfterDays, new Date());
    // The same UIDL with another size is another message (a reused UIDL): never deleted on the old one's account.
    const doomed = listing.filter((m) => due.get(m.uidl) === m.size);
    for (const m of doomed) await client.delete(m.number);
    await client.quit();
    if (doomed.length > 0) {
      await markDeleted(this.deps.db, this.processorId, doomed.map((m) => m.uidl), new Date());
      this.log().info({ count: doomed.length, deleteAfterDays }, 'deleted messages stored long enough ago from the server');
    }
  }

}

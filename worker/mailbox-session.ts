// One processor's mailbox: connect, select INBOX, take every message above the cursor, then wait
// for IDLE's EXISTS (or the poll interval) and do it again. Any failure closes the client, reports
// the reason on the processor, and reconnects with backoff; imapflow does not reconnect by itself,
// so each attempt builds a new client.
//
// States: created → running (connecting → importing | idle, or error → backoff) → stopping → stopped.
//
// No optional response code is trusted: the next UID comes from SELECT, else STATUS, else the highest UID
// found (Courier's SELECT has no UIDNEXT); each listing of new UIDs is checked against the server's own
// counts and redone another way when they disagree (server/domain/mailbox-listing.ts). Servers that announce
// new mail to IDLE late (stock Cyrus and Courier: about every 60 s) are noticed, and a per-processor check
// interval (NOOP every few seconds) makes them look. A failure of Leopard itself (a database error, a bug) is
// reported as such, with an id to find in this log, never as the mail server's.
import { ImapFlow } from 'imapflow';
import type { Database } from '../server/db/client';
import { backoffDelayMs, RECONNECT_BACKOFF } from '../server/domain/retry-backoff';
import { isAppError } from '../server/errors';
import type { Logger } from '../server/log';
import { checkListing, missedByFirstListing, resolveUidNext } from '../server/domain/mailbox-listing';
import { deliveryDelayMs, foundUnannounced } from '../server/domain/push-timing';
import { isMailServerError } from '../server/mail/describe-imap-error';
import { buildImapFlowOptions, describeImapError } from '../server/mail/imap-probe';
import { type IngestResult, ingestBatch, type Prepared, type PreparedMessage, prepareMessages } from '../server/services/ingest';
import {
  beginSync,
  readSessionSettings,
  recordDeliveries,
  recordListingDiscrepancy,
  type SessionStatus,
  type SyncStart,
} from '../server/services/mailbox-sync';
import { loadImapSettings } from '../server/services/processors';
import { getMailboxAccessToken, type OAuthEnv } from '../server/services/oauth-tokens';
import { nextRefreshInMs } from '../server/domain/oauth-sign-in';
import { env } from '../server/env';
import type { ConnectGate } from './connect-gate';
import type { WorkerMetrics } from './metrics';
import { fetchSourceInRanges, RANGED_FETCH_BYTES } from './fetch-ranges';
import { uidSets } from './uid-sets';
import { SessionLifecycle } from './session-lifecycle';

/** imapflow enters IDLE only after this much quiet (its default is 15 s, which delays push). */
const IDLE_AFTER_MS = 200;
/** Messages fetched together; during an import they are also committed together. */
const FETCH_BATCH_MESSAGES = 50;
/** A fetch batch stops growing past this many bytes, so one big mail is fetched on its own. */
const FETCH_BATCH_BYTES = 8 * 1024 * 1024;

export type MailboxSessionDeps = {
  db: Database;
  secretKey: Buffer;
  log: Logger;
  metrics: WorkerMetrics;
  pollIntervalMs: number;
  /** Called after a commit that queued outbound mail, so the sender runs at once. */
  onMailQueued: () => void;
  /** Limits how many sessions log in at once (worker/connect-gate.ts); unlimited when not given. */
  connectGate?: ConnectGate;
  /** Hashes and parses a fetched message (worker/parse-pool.ts; on this thread when not given). */
  prepare?: (raw: Buffer) => Promise<Prepared>;
  /** OAuth2 providers given by the environment and PUBLIC_URL; server/env.ts when not given. */
  oauthConfig?: OAuthEnv;
};

/** A provider that could not renew an access token (unreachable, busy) is asked again after this long. */
const TOKEN_RETRY_MS = 30_000;

class SessionStopped extends Error {}

export class MailboxSession extends SessionLifecycle<ImapFlow> {
  /** When the server last announced new mail: the start of the push latency we measure. */
  private announcedAt: number | null = null;
  /** The server announced new mail on its own while the connection idled (not in answer to a poll or check). */
  private pushed = false;
  /** A poll or check is talking to the server: EXISTS it answers with was not pushed. */
  private checking = false;
  private lastDiscrepancy: string | null = null;
  /** OAuth2: the renewal of the access token ahead of its expiry, while the connection idles. */
  private tokenTimer: NodeJS.Timeout | null = null;
  /** The provider refused the renewal: the session ends and waits for Reconnect. */
  private tokenRefused: Error | null = null;

  private report(report: SessionStatus): Promise<void> {
    return this.reporter.report(report);
  }

  protected async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        await this.connectAndServe(() => {
          failures = 0;
        });
      } catch (err) {
        if (this.stopping || err instanceof SessionStopped) break;
        failures += 1;
        const problem = await this.reporter.failed(err, {
          attempt: failures,
          log: this.log(),
          isServerError: isMailServerError,
          describe: describeImapError,
          server: this.server,
          workedBefore: this.lastSuccessAt,
          signedInAs: this.signedInAs,
        });
        if (problem.code === 'OAUTH_RECONNECT_NEEDED') {
          await this.waitForReconnect();
          break;
        }
        // The failed connection's close (or mail announced before it failed) must not cut the backoff
        // short: a wrong password would otherwise be retried at once, again and again. stop() still does.
        const failed = this.client;
        this.client = null;
        failed?.close();
        this.signal.clear();
        if (this.stopping) break;
        await this.signal.wait(backoffDelayMs(RECONNECT_BACKOFF, failures));
      } finally {
        const client = this.client;
        this.client = null;
        if (client?.usable) await client.logout().catch(() => client.close());
        else client?.close();
      }
    }
    this.cancelTokenRenewal();
    this.reporter.ended();
    this.deps.metrics.idleProbes.delete(this.processorId);
  }

  private oauthToken(force = false) {
    return getMailboxAccessToken({
      db: this.deps.db,
      key: this.deps.secretKey,
      config: this.deps.oauthConfig ?? env(),
      processorId: this.processorId,
      force,
      onRefreshFailed: () => this.deps.metrics.oauthRefreshFailures.inc({ processor: this.processorId }),
    });
  }

  private cancelTokenRenewal(): void {
    if (this.tokenTimer) clearTimeout(this.tokenTimer);
    this.tokenTimer = null;
  }

  /**
   * The access token is needed only to sign in; an IDLE connection is not touched when it expires. It is renewed
   * ahead of time all the same, so that a reconnect at any moment signs in at once and a refused renewal (consent
   * revoked) shows on the processor within one token lifetime instead of at the next outage.
   */
  private scheduleTokenRenewal(inMs: number): void {
    this.cancelTokenRenewal();
    if (this.stopping) return;
    this.tokenTimer = setTimeout(() => void this.renewToken(), inMs);
    this.tokenTimer.unref();
  }

  private async renewToken(): Promise<void> {
    this.tokenTimer = null;
    if (this.stopping) return;
    try {
      const token = await this.oauthToken();
      if (token.refreshed) this.log().info({ expiresAt: token.expiresAt }, 'access token renewed');
      if (token.expiresAt) this.scheduleTokenRenewal(nextRefreshInMs(token.expiresAt, new Date()));
    } catch (err) {
      if (isAppError(err) && err.code === 'OAUTH_RECONNECT_NEEDED') {
        this.log().warn({ err: err.message }, 'the provider refused to renew the access token; waiting for Reconnect');
        this.tokenRefused = err;
        this.signal.wake();
        return;
      }
      this.log().warn({ err: (err as Error).message }, 'could not renew the access token; trying again');
      this.scheduleTokenRenewal(TOKEN_RETRY_MS);
    }
  }

  private async connectAndServe(onConnected: () => void): Promise<void> {
    await this.report({ status: 'connecting' });
    // The turn to log in comes before the settings are read: with thousands of sessions starting at once, reads
    // made before waiting queued every session's reads ahead of any session's first sync, and no mailbox was
    // idle until all of them had read (bench/scenarios/many-mailboxes.ts, 5,000 mailboxes). Read after the
    // wait, the settings are also the latest.
    const release = await this.deps.connectGate?.enter();
    let client: ImapFlow;
    let mailbox: Awaited<ReturnType<ImapFlow['mailboxOpen']>>;
    let sessionSettings: NonNullable<Awaited<ReturnType<typeof readSessionSettings>>>;
    try {
      if (this.stopping) throw new SessionStopped();
      const settings = await loadImapSettings({ db: this.deps.db, id: this.processorId, key: this.deps.secretKey });
      this.server = { host: settings.host, port: settings.port, useSsl: settings.useSsl };
      const found = await readSessionSettings({ db: this.deps.db, processorId: this.processorId });
      if (!found) throw new SessionStopped('processor deleted');
      sessionSettings = found;
      this.lastSuccessAt = sessionSettings.lastSuccessAt ?? this.lastSuccessAt;
      if (settings.authMethod === 'oauth2') {
        // A fresh (or still good) token for each login; OAUTH_RECONNECT_NEEDED ends the session's retries in run().
        const token = await this.oauthToken();
        settings.accessToken = token.accessToken;
        this.signedInAs = settings.login;
        if (token.expiresAt) this.scheduleTokenRenewal(nextRefreshInMs(token.expiresAt, new Date()));
      }

      const opened = new ImapFlow(buildImapFlowOptions(settings, { autoIdleDelay: IDLE_AFTER_MS }));
      client = opened;
      this.client = opened;
      this.deps.metrics.idleProbes.set(this.processorId, () => this.client === opened && opened.idling);
      opened.on('exists', () => {
        this.announcedAt ??= performance.now();
        // In answer to a command of ours (a poll's SEARCH, a check's NOOP) it was found, not pushed.
        if (opened.idling && !this.checking) this.pushed = true;
        this.signal.wake();
      });
      // A live session's connection dropping ends its wait at once; a replaced or failed one's does not.
      opened.on('close', () => {
        if (this.client === opened) this.signal.wake();
      });
      // Without a listener an 'error' event would crash the worker; the close that follows reconnects.
      opened.on('error', (err: Error) => this.log().debug({ err: err.message }, 'imap client error'));
      if (this.stopping) throw new SessionStopped();
      await opened.connect();
      mailbox = await opened.mailboxOpen('INBOX', { readOnly: !sessionSettings.markSeen });
    } finally {
      release?.();
    }
    let cursor = await beginSync({
      db: this.deps.db,
      processorId: this.processorId,
      uidValidity: Number(mailbox.uidValidity),
      uidNext: await this.uidNextOf(client, mailbox.uidNext),
    });
    if (cursor.restarted) {
      this.log().info({ uidValidity: cursor.uidValidity }, 'mailbox cursor started over');
      // beginSync set import_done back to 0; the value read before it belongs to the previous import.
      sessionSettings.importDone = 0;
    }
    onConnected();

    while (!this.stopping) {
      if (this.tokenRefused) throw this.tokenRefused;
      // ImapFlow's own code for it, so it is reported as the server's doing, not Leopard's.
      if (!client.usable) throw Object.assign(new Error('The mail server closed the connection.'), { code: 'EConnectionClosed' });
      const current = client.mailbox && typeof client.mailbox === 'object' ? Number(client.mailbox.uidValidity) : cursor.serverUidValidity;
      if (current !== cursor.serverUidValidity) {
        // The server renumbered the mailbox: start over; the same mail (Message-ID and bytes) is not stored twice.
        const uidNext = await this.uidNextOf(client, client.mailbox ? client.mailbox.uidNext : undefined);
        cursor = await beginSync({ db: this.deps.db, processorId: this.processorId, uidValidity: current, uidNext });
      }
      cursor = await this.syncOnce(client, cursor, sessionSettings.markSeen, sessionSettings.importDone);
      sessionSettings.importDone = 0;
      this.lastSuccessAt = new Date();
      await this.waitForMail(client, sessionSettings.checkIntervalSeconds);
    }
  }

  /**
   * Until the server announces mail, the poll interval passes, or we stop. With a check interval, a NOOP
   * every so many seconds asks the server to look: stock Cyrus and Courier then report new mail at once
   * instead of on their own 60 s timer.
   */
  private async waitForMail(client: ImapFlow, checkIntervalSeconds: number | null): Promise<void> {
    const pollAt = performance.now() + this.deps.pollIntervalMs;
    const checkMs = checkIntervalSeconds && checkIntervalSeconds > 0 ? checkIntervalSeconds * 1000 : null;
    for (;;) {
      const left = pollAt - performance.now();
      if (left <= 0 || this.stopping) return;
      const woken = await this.signal.wait(checkMs === null ? left : Math.min(checkMs, left));
      if (woken || this.stopping || !client.usable || performance.now() >= pollAt) return;
      await this.asking(() => client.noop());
    }
  }

  /** Runs a command of ours: EXISTS the server sends meanwhile answers it, it was not pushed. */
  private async asking<T>(command: () => Promise<T>): Promise<T> {
    this.checking = true;
    try {
      return await command();
    } finally {
      this.checking = false;
    }
  }

  /** UID of the last message by sequence number (`FETCH * (UID)`), which every server must answer; null when empty. */
  private async highestUid(client: ImapFlow): Promise<number | null> {
    const exists = client.mailbox && typeof client.mailbox === 'object' ? client.mailbox.exists : 0;
    if (!exists) return null;
    const last = await client.fetchOne('*', { uid: true });
    return last ? last.uid : null;
  }

  /** STATUS UIDNEXT of INBOX, or null when the server gave none. */
  private async statusUidNext(client: ImapFlow): Promise<number | null> {
    const status = await client.status('INBOX', { uidNext: true });
    return status && typeof status.uidNext === 'number' ? status.uidNext : null;
  }

  /** The next UID, never trusting an optional response code (server/domain/mailbox-listing.ts). */
  private async uidNextOf(client: ImapFlow, selectUidNext: unknown): Promise<number> {
    const highestUid = await this.highestUid(client);
    const valid = typeof selectUidNext === 'number' && Number.isInteger(selectUidNext) && selectUidNext > 0;
    const statusUidNext = valid ? undefined : await this.statusUidNext(client);
    return resolveUidNext({ selectUidNext, statusUidNext, highestUid });
  }

  /**
   * UIDs above the cursor: UID SEARCH, checked against EXISTS, the last message's UID and (when nothing lies
   * above the cursor) STATUS UIDNEXT. When they disagree, UID FETCH n:* (UID) lists them again and the
   * discrepancy is shown on the processor; a server that numbered its mail again is read again from the start.
   */
  private async listNewUids(client: ImapFlow, cursor: SyncStart): Promise<{ uids: number[]; cursor: SyncStart }> {
    const from = `${cursor.lastUid + 1}:*`;
    const found = (await client.search({ uid: from }, { uid: true })) || [];
    const listed = found.filter((uid) => uid > cursor.lastUid).sort((a, b) => a - b);
    const exists = client.mailbox && typeof client.mailbox === 'object' ? client.mailbox.exists : 0;
    const highestUid = await this.highestUid(client);
    const uidNext =
      exists > 0 && listed.length === 0 && (highestUid ?? 0) <= cursor.lastUid && cursor.lastUid > 0
        ? await this.statusUidNext(client)
        : null;
    const verdict = checkListing({ lastUid: cursor.lastUid, listed, exists, highestUid, uidNext });
    if (verdict.kind === 'consistent') return { uids: listed, cursor };
    await this.noteDiscrepancy(verdict.discrepancy);
    if (verdict.kind === 'renumbered') {
      const restarted = await beginSync({
        db: this.deps.db,
        processorId: this.processorId,
        uidValidity: cursor.serverUidValidity,
        uidNext: resolveUidNext({ statusUidNext: uidNext, highestUid }),
        renumbered: true,
      });
      this.log().warn({ uidNext, lastUid: cursor.lastUid }, 'the server numbered its messages again; reading the mailbox again');
      const again = (await client.fetchAll('1:*', { uid: true })).map((m) => m.uid);
      return { uids: [...new Set(again)].sort((a, b) => a - b), cursor: restarted };
    }
    const second = (await client.fetchAll(from, { uid: true }, { uid: true })).map((m) => m.uid);
    const missed = missedByFirstListing(listed, second, cursor.lastUid);
    this.log().warn({ listed: listed.length, missed: missed.length }, 'UID SEARCH disagreed with the server counts; listed again with UID FETCH');
    return { uids: [...listed, ...missed].sort((a, b) => a - b), cursor };
  }

  private async noteDiscrepancy(discrepancy: string): Promise<void> {
    if (discrepancy === this.lastDiscrepancy) return;
    this.lastDiscrepancy = discrepancy;
    await recordListingDiscrepancy({ db: this.deps.db, processorId: this.processorId, discrepancy });
  }

  /** Takes every message above the cursor; returns the advanced cursor. */
  private async syncOnce(client: ImapFlow, cursor: SyncStart, markSeen: boolean, importDoneSoFar: number): Promise<SyncStart> {
    const announcedAt = this.announcedAt;
    const pushed = this.pushed;
    this.announcedAt = null;
    this.pushed = false;
    const listing = await this.asking(() => this.listNewUids(client, cursor));
    cursor = listing.cursor;
    const uids = listing.uids;
    if (uids.length === 0) {
      await this.report({ status: 'idle' });
      return cursor;
    }
    const importCount = uids.filter((uid) => uid <= cursor.importUntilUid).length;
    if (importCount > 0) await this.report({ status: 'importing', total: importDoneSoFar + importCount });

    let lastUid = cursor.lastUid;
    const arrivedAt = new Map<number, Date>();
    const sizes = new Map<number, number>();
    const batches = await this.planBatches(client, uids, cursor.importUntilUid, arrivedAt, sizes);
    const delaysMs: number[] = [];
    let unannounced = false;
    // While a batch is written, the next one is fetched and parsed: the database and the parser work at once.
    const fetchAndPrepare = async (batch: (typeof batches)[number]) => {
      const fetched = await this.fetchSources(client, batch.uids, sizes);
      return prepareMessages(
        fetched.map((m) => ({ uid: m.uid, raw: m.raw, isImport: m.uid <= cursor.importUntilUid, resync: cursor.resync && m.uid <= cursor.importUntilUid })),
        this.deps.prepare,
      );
    };
    let next = batches.length > 0 ? fetchAndPrepare(batches[0]!) : null;
    try {
      for (const [i, batch] of batches.entries()) {
        if (this.stopping || next === null) break;
        const messages = await next;
        next = i + 1 < batches.length ? fetchAndPrepare(batches[i + 1]!) : null;
        // Not awaited yet; a failure is rethrown when it is (or dropped with the session when it never is).
        next?.catch(() => {});
        const results = batch.isImport
          ? await ingestBatch({ db: this.deps.db, processorId: this.processorId, uidValidity: cursor.uidValidity, messages })
          : await this.ingestOneByOne(cursor.uidValidity, messages);
        this.record(results, batch.isImport ? null : announcedAt);
        if (!batch.isImport) {
          const storedAt = new Date();
          for (const [j, result] of results.entries()) {
            if (result.kind !== 'created' && result.kind !== 'appended') continue;
            const delay = deliveryDelayMs(arrivedAt.get(messages[j]!.uid), storedAt);
            if (delay === null) continue;
            delaysMs.push(delay);
            if (foundUnannounced({ announcedByPush: pushed, delayMs: delay })) unannounced = true;
          }
        }
        // A UID the server no longer has (expunged meanwhile) is passed over too.
        lastUid = Math.max(lastUid, ...batch.uids);
        if (markSeen && messages.length > 0) {
          await client.messageFlagsAdd(messages.map((m) => m.uid).join(','), ['\\Seen'], { uid: true });
        }
      }
    } finally {
      await next?.catch(() => {});
    }
    if (unannounced) this.log().info({ delaysMs }, 'found mail the server had not announced to IDLE');
    await recordDeliveries({ db: this.deps.db, processorId: this.processorId, delaysMs, unannounced });
    await this.report({ status: 'idle' });
    return { ...cursor, lastUid };
  }

  private async ingestOneByOne(uidValidity: number, messages: PreparedMessage[]) {
    const results: IngestResult[] = [];
    for (const m of messages) {
      results.push(...(await ingestBatch({ db: this.deps.db, processorId: this.processorId, uidValidity, messages: [m] })));
    }
    return results;
  }

  /**
   * The sources of `uids` the server still has, in UID order: a message announced at RANGED_FETCH_BYTES or more
   * in ranges (worker/fetch-ranges.ts), the others with one FETCH.
   */
  private async fetchSources(client: ImapFlow, uids: number[], sizes: Map<number, number>) {
    const ranged = uids.filter((uid) => (sizes.get(uid) ?? 0) >= RANGED_FETCH_BYTES);
    const whole = uids.filter((uid) => (sizes.get(uid) ?? 0) < RANGED_FETCH_BYTES);
    const sources: Array<{ uid: number; raw: Buffer }> = [];
    if (whole.length > 0) {
      for (const m of await client.fetchAll(whole.join(','), { uid: true, source: true }, { uid: true })) {
        if (m.source) sources.push({ uid: m.uid, raw: m.source });
      }
    }
    for (const uid of ranged) {
      const raw = await fetchSourceInRanges(client, uid, sizes.get(uid)!);
      if (raw) sources.push({ uid, raw });
    }
    return sources.sort((a, b) => a.uid - b.uid);
  }

  /** Groups UIDs into fetch batches by count and size (each size into `sizes`); import and live mail never share a batch. */
  private async planBatches(client: ImapFlow, uids: number[], importUntilUid: number, arrivedAt: Map<number, Date>, sizes: Map<number, number>) {
    // Not uids.join(','): an import of some thousands of messages would exceed the server's line limit.
    for (const set of uidSets(uids)) {
      for (const m of await client.fetchAll(set, { uid: true, size: true, internalDate: true }, { uid: true })) {
        sizes.set(m.uid, m.size ?? 0);
        if (m.internalDate instanceof Date) arrivedAt.set(m.uid, m.internalDate);
      }
    }
    const batches: Array<{ uids: number[]; isImport: boolean }> = [];
    let current: { uids: number[]; isImport: boolean; bytes: number } | null = null;
    for (const uid of uids) {
      const isImport = uid <= importUntilUid;
      const size = sizes.get(uid) ?? 0;
      const full =
        current &&
        (current.isImport !== isImport ||
          current.uids.length >= FETCH_BATCH_MESSAGES ||
          current.bytes + size > FETCH_BATCH_BYTES);
      if (!current || full) {
        current = { uids: [], isImport, bytes: 0 };
        batches.push(current);
      }
      current.uids.push(uid);
      current.bytes += size;
    }
    return batches;
  }

  private record(results: IngestResult[], announcedAt: number | null): void {
    if (announcedAt !== null && results.length > 0) {
      this.deps.metrics.ingestLag.observe({ processor: this.processorId }, (performance.now() - announcedAt) / 1000);
    }
    this.reporter.ingested(results, this.log(), this.deps.onMailQueued);
  }
}

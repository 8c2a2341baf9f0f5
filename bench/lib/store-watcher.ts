// Watches which delivered messages have been stored, on the bench's clock: polls the Message-IDs of
// inbound case messages carrying a label and records when each was first seen. Tolerates the database
// being down (the Postgres drill): a failed poll is just skipped.
import { sql } from 'drizzle-orm';
import type { Database } from '../../server/db/client';

export class StoreWatcher {
  /** Message-ID (bare) → when the bench first saw it stored. */
  readonly seenAt = new Map<string, number>();
  failedPolls = 0;
  private timer: NodeJS.Timeout | null = null;
  private polling = false;

  constructor(
    private readonly db: Database,
    private readonly label: string,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const rows = await this.db.execute<{ message_id: string }>(
        sql`select message_id from case_messages where direction = 'inbound' and message_id like ${`${this.label}-%`}`,
      );
      const now = performance.now();
      for (const r of rows) if (!this.seenAt.has(r.message_id)) this.seenAt.set(r.message_id, now);
    } catch {
      this.failedPolls++;
    } finally {
      this.polling = false;
    }
  }

  /** First time after `t` that any message was newly seen stored (ingest resuming). */
  firstSeenAfter(t: number): number | null {
    let first: number | null = null;
    for (const at of this.seenAt.values()) if (at > t && (first === null || at < first)) first = at;
    return first;
  }

  /** Resolves with the time when all `messageIds` are seen, or null after `timeoutMs`. */
  async waitForAll(messageIds: string[], timeoutMs: number): Promise<number | null> {
    const deadline = performance.now() + timeoutMs;
    const bare = messageIds.map((id) => id.replace(/^<|>$/g, ''));
    for (;;) {
      await this.poll();
      if (bare.every((id) => this.seenAt.has(id))) return Math.max(...bare.map((id) => this.seenAt.get(id)!));
      if (performance.now() > deadline) return null;
      await new Promise((r) => setTimeout(r, this.intervalMs));
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

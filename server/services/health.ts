import { sql } from '../db/client';

const HEALTH_QUERY_TIMEOUT_MS = 2_000;

export type DatabaseHealth = { ok: boolean; latencyMs?: number; error?: string };

export async function checkDatabase(): Promise<DatabaseHealth> {
  const started = performance.now();
  try {
    await Promise.race([
      sql()`select 1`,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('no answer within 2 s')), HEALTH_QUERY_TIMEOUT_MS).unref(),
      ),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    // The cause holds the real reason (connection refused, auth); drizzle/postgres wrap it.
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    return { ok: false, error: cause instanceof Error ? cause.message : String(cause) };
  }
}

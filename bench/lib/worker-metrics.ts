// Reads the worker's own view from its /metrics (Prometheus text): how long it took from the mailbox
// announcing mail to the commit (leopard_ingest_lag_seconds), summed over every processor.
export type IngestLag = { count: number; meanMs: number };

export async function ingestLag(port: number): Promise<IngestLag> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    const m = /^leopard_ingest_lag_seconds_(sum|count)\{[^}]*\} (\S+)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'sum') sum += Number(m[2]);
    else count += Number(m[2]);
  }
  return { count, meanMs: count ? (sum / count) * 1000 : Number.NaN };
}

/** The difference between two readings: what happened in between. */
export function lagBetween(before: IngestLag, after: IngestLag): IngestLag {
  const count = after.count - before.count;
  const sum = (after.meanMs * after.count - (before.count ? before.meanMs * before.count : 0)) / 1000;
  return { count, meanMs: count ? (sum / count) * 1000 : Number.NaN };
}

/** Mailbox session failures by code (leopard_session_errors_total), summed over processors. */
export async function sessionErrors(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const byCode: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^leopard_session_errors_total\{[^}]*code="([^"]*)"[^}]*\} (\S+)$/.exec(line);
    if (m) byCode[m[1]!] = (byCode[m[1]!] ?? 0) + Number(m[2]);
  }
  return byCode;
}

/** The worker's warnings and errors (pino JSON lines), counted by message and code: what went wrong, how often. */
export function summarizeWorkerLog(output: string, limit = 6): string {
  const counts = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; code?: string; err?: unknown };
      if ((entry.level ?? 0) < 40) continue;
      const detail = [entry.code, typeof entry.err === 'string' ? entry.err.slice(0, 100) : null].filter(Boolean).join(': ');
      const key = `${entry.msg ?? '?'}${detail ? ` (${detail})` : ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      // not a log line
    }
  }
  if (counts.size === 0) return 'no warnings or errors';
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([k, n]) => `${n}× "${k}"`)
    .join(', ');
}

/** V8 heap in use (leopard_worker_nodejs_heap_size_used_bytes), in MB; NaN when /metrics does not answer. */
export async function heapUsedMb(port: number): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const match = /^leopard_worker_nodejs_heap_size_used_bytes (\S+)/m.exec(text);
    return match ? Number(match[1]) / 1024 ** 2 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Where the worker's memory is, from its /metrics: V8 heap in use and committed, and memory outside the heap
 * that V8 knows of (Buffers: mail sources, sockets' data), in MB; NaN when /metrics does not answer. */
export type HeapBreakdown = { usedMb: number; totalMb: number; externalMb: number };

export async function heapBreakdown(port: number): Promise<HeapBreakdown> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const read = (name: string) => {
      const match = new RegExp(`^leopard_worker_${name} (\\S+)`, 'm').exec(text);
      return match ? Number(match[1]) / 1024 ** 2 : Number.NaN;
    };
    return { usedMb: read('nodejs_heap_size_used_bytes'), totalMb: read('nodejs_heap_size_total_bytes'), externalMb: read('nodejs_external_memory_bytes') };
  } catch {
    return { usedMb: Number.NaN, totalMb: Number.NaN, externalMb: Number.NaN };
  }
}

export function describeHeap(h: HeapBreakdown): string {
  return `V8 heap in use ${fmtMb(h.usedMb)} of ${fmtMb(h.totalMb)} MB, external ${fmtMb(h.externalMb)} MB`;
}

function fmtMb(mb: number): string {
  return Number.isFinite(mb) ? String(Math.round(mb)) : '–';
}

// MIME parsing on a thread of its own. Parsing is the worker's heaviest CPU work (~1 ms for a 30 KB mail,
// seconds for a 25 MB attachment); on the main thread it delays every other mailbox's IDLE, database round
// trip and lease renewal while it runs. On its own thread it also runs beside the database writes of an
// import, on the machine's other core.
//
// Decisions:
// - One thread: the main thread and Postgres need the rest of a small machine; parsing is ordered per
//   message anyway.
// - The raw bytes are moved to the thread and back (transferred, not copied), so a 35 MB message is not
//   held twice; only a Buffer that is a view of a larger one is copied first, to move just its bytes.
// - If the thread dies (out of memory on a hostile mail, a bug), a pending message whose bytes it held fails
//   (the mailbox session reconnects and fetches it again: the cursor has not moved); one it had not been
//   given yet is parsed on the main thread. The next message starts a new thread.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../server/log';
import { rawSha256 } from '../server/services/same-mail';
import { type Prepared, prepareHere } from '../server/services/ingest';
import type { ParseReply, ParseRequest } from './parse-thread';

type Pending = {
  raw: Buffer;
  /** The bytes were moved to the thread (`raw` is now empty) rather than copied. */
  moved: boolean;
  resolve: (p: Prepared & { raw: Buffer }) => void;
  reject: (err: unknown) => void;
};

const THREAD_URL = new URL('./parse-thread.ts', import.meta.url);

export class ParsePool {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly log: Logger) {}

  /** Starts the thread now: loading it takes a few hundred ms, which the first mail should not wait for. */
  start(): void {
    if (!this.closed) this.thread();
  }

  /** The raw bytes come back in the answer; `raw` itself may be emptied (moved to the thread). */
  prepare(raw: Buffer): Promise<Prepared & { raw: Buffer }> {
    if (this.closed) return prepareHere(raw).then((p) => ({ ...p, raw }));
    const worker = this.thread();
    const id = this.nextId++;
    return new Promise<Prepared & { raw: Buffer }>((resolve, reject) => {
      const own = ownBuffer(raw);
      this.pending.set(id, { raw, moved: own === raw, resolve, reject });
      worker.postMessage({ id, raw: own } satisfies ParseRequest, [own.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
    this.fallBack();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    // The worker process runs TypeScript through tsx; a thread needs it registered before it loads the file.
    const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(THREAD_URL.href)}); })`;
    const worker = new Worker(boot, { eval: true, name: 'leopard-parse' });
    worker.unref();
    worker.on('message', (reply: ParseReply) => this.settle(reply));
    worker.on('error', (err) => this.log.error({ err: err.message }, 'parse thread failed; parsing on the main thread meanwhile'));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      this.fallBack();
    });
    this.worker = worker;
    return worker;
  }

  private settle(reply: ParseReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if ('crash' in reply) {
      this.log.warn({ err: reply.crash }, 'the parse thread could not answer; parsing this message on the main thread');
      const raw = Buffer.from(reply.raw.buffer, reply.raw.byteOffset, reply.raw.byteLength);
      prepareHere(raw).then((p) => pending.resolve({ ...p, raw }), pending.reject);
      return;
    }
    if (reply.parsed.ok) {
      for (const attachment of reply.parsed.value.attachments) {
        const bytes = attachment.content as Uint8Array;
        attachment.content = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
    }
    pending.resolve({ raw: Buffer.from(reply.raw.buffer, reply.raw.byteOffset, reply.raw.byteLength), sha256: reply.sha256, parsed: reply.parsed });
  }

  /** The thread went away without answering these. */
  private fallBack(): void {
    const orphans = [...this.pending.values()];
    this.pending.clear();
    for (const { raw, moved, resolve, reject } of orphans) {
      if (moved) reject(new Error('The parse thread stopped while it held this message; it is fetched again.'));
      else prepareHere(raw).then((p) => resolve({ ...p, raw }), reject);
    }
  }
}

/** The bytes in an ArrayBuffer of their own: a view of a larger (pooled) buffer would take all of it along. */
export function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

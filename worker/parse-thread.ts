// The parse thread's side of worker/parse-pool.ts: raw bytes in; the hash, the parse outcome and the raw
// bytes back out (attachments listed without their decoded bytes: tryParseForIntake). The raw bytes travel as
// transferred ArrayBuffers (moved, not copied).
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { tryParseForIntake } from '../server/mail/parse-message';
import { rawSha256 } from '../server/services/same-mail';

export type ParseRequest = { id: number; raw: Uint8Array };
export type ParseReply =
  | { id: number; raw: Uint8Array; sha256: string; parsed: Awaited<ReturnType<typeof tryParseForIntake>> }
  /** The answer could not be sent; the raw bytes come back so the main thread can parse them itself. */
  | { id: number; raw: Uint8Array; crash: string };

const port = parentPort;
if (!port) throw new Error('worker/parse-thread.ts runs as a worker thread (worker/parse-pool.ts starts it).');

/**
 * This thread yields the CPU to the worker's main thread (and to Postgres) whenever both want it: on a small
 * machine, parsing a 34 MB message for half a second otherwise held back every other mailbox's round trips,
 * which wait for the main thread (bench/scenarios/big-message.ts). Linux sets a nice value per thread; where it
 * cannot be set, the thread runs as before.
 */
const PARSE_THREAD_NICENESS = 10;
try {
  os.setPriority(PARSE_THREAD_NICENESS);
} catch {
  // not permitted or not supported here
}

port.on('message', async ({ id, raw }: ParseRequest) => {
  try {
    const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    const parsed = await tryParseForIntake(bytes);
    // Attachments come without their decoded bytes (the intake does not store them), so only the raw moves back.
    const reply: ParseReply = { id, raw, sha256: rawSha256(bytes), parsed };
    port.postMessage(reply, [raw.buffer as ArrayBuffer]);
  } catch (err) {
    const reply: ParseReply = { id, raw, crash: err instanceof Error ? err.message : String(err) };
    port.postMessage(reply, raw.buffer.byteLength > 0 ? [raw.buffer as ArrayBuffer] : []);
  }
});


// The parse thread's side of worker/parse-pool.ts: raw bytes in; the hash, the parse outcome and the raw
// bytes back out (attachments listed without their decoded bytes: tryParseForIntake). The raw bytes travel as
// transferred ArrayBuffers (moved, not copied).
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


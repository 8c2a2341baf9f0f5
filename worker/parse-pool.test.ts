import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { rawMail } from '../test/harness/raw-mail';
import { createLogger } from '../server/log';
import { prepareHere } from '../server/services/ingest';
import { ParsePool } from './parse-pool';

function withAttachment(bytes: Buffer): Buffer {
  return Buffer.from(
    [
      'From: Kim <kim@customer.example>',
      'Subject: Report',
      'Message-ID: <report@customer.example>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>See <img src="cid:chart@x"></p>',
      '--b',
      'Content-Type: image/png; name="chart.png"',
      'Content-ID: <chart@x>',
      'Content-Transfer-Encoding: base64',
      '',
      bytes.toString('base64'),
      '--b--',
      '',
    ].join('\r\n'),
  );
}

let pool: ParsePool | null = null;
afterEach(async () => {
  await pool?.close();
  pool = null;
});

describe('ParsePool', () => {
  it('gives what parsing on this thread gives, attachments listed without their bytes', async () => {
    pool = new ParsePool(createLogger('test'));
    const mails = [rawMail({ subject: 'Grüße' }), withAttachment(Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251))), Buffer.alloc(0)];
    const here = await Promise.all(mails.map(async (m) => ({ ...(await prepareHere(m)), raw: Buffer.from(m) })));
    const viaThread = await Promise.all(mails.map((m) => pool!.prepare(m)));
    expect(viaThread).toEqual(here);
    const parsed = viaThread[1]!.parsed;
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.value.attachments[0]).toMatchObject({ size: 5000, content: Buffer.alloc(0) });
    expect(viaThread[2]!.parsed).toMatchObject({ ok: false, error: expect.stringMatching(/empty/) });
  });

  it('parses on this thread when the parse thread is gone, and after close; fails what the thread held', async () => {
    pool = new ParsePool(createLogger('test'));
    // A view of a larger buffer is copied to the thread, so this side still has it; a buffer of its own is moved.
    const copied = pool.prepare(rawMail({ subject: 'one' }));
    const moved = pool.prepare(Buffer.from(new Uint8Array(rawMail({ subject: 'moved' })).buffer));
    const movedFails = expect(moved).rejects.toThrow(/fetched again/);
    await (pool as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    expect((await copied).parsed).toMatchObject({ ok: true, value: { subject: 'one' } });
    await movedFails;
    expect((await pool.prepare(rawMail({ subject: 'two' }))).parsed).toMatchObject({ ok: true, value: { subject: 'two' } });
    await pool.close();
    expect((await pool.prepare(rawMail({ subject: 'three' }))).parsed).toMatchObject({ ok: true, value: { subject: 'three' } });
  });

  it.runIf(process.platform === 'linux')('parses at a lower CPU priority than the main thread', async () => {
    pool = new ParsePool(createLogger('test'));
    await pool.prepare(rawMail({ subject: 'nice' }));
    const niceness = readdirSync('/proc/self/task').map((tid) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]));
    expect(niceness[0]).toBe(0);
    expect(niceness).toContain(10);
  });
});

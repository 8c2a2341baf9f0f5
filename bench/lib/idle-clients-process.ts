// A bare node process that opens one imapflow IDLE client per mailbox and reports its own RSS: the
// baseline for a worker holding as many connections. Run by bench/lib/idle-clients.ts; reads its job
// as JSON on stdin, prints one JSON line, and exits when stdin closes.
import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import { readMemory } from './proc';

type Job = { host: string; port: number; accounts: Array<{ user: string; password: string }>; concurrency: number; settleMs: number };

const job = JSON.parse(readFileSync(0, 'utf8')) as Job;
const clients: ImapFlow[] = [];
const empty = readMemory(process.pid);
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: job.concurrency }, async () => {
    for (let i = next++; i < job.accounts.length; i = next++) {
      const { user, password } = job.accounts[i]!;
      const client = new ImapFlow({ host: job.host, port: job.port, secure: false, doSTARTTLS: false, auth: { user, pass: password }, logger: false, autoIdleDelay: 200 });
      client.on('error', () => {});
      await client.connect();
      await client.mailboxOpen('INBOX', { readOnly: true });
      clients.push(client);
    }
  }),
);
const openSeconds = (performance.now() - started) / 1000;
await new Promise((r) => setTimeout(r, job.settleMs));
global.gc?.();
const memory = readMemory(process.pid);
process.stdout.write(`${JSON.stringify({ clients: clients.length, openSeconds, rssMb: memory.rssMb, hwmMb: memory.hwmMb, emptyRssMb: empty.rssMb })}\n`);
await Promise.all(clients.map((c) => c.logout().catch(() => c.close())));
process.exit(0);

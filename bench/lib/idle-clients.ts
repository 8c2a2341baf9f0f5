// Runs bench/lib/idle-clients-process.ts: n bare imapflow IDLE clients in a process of their own.
import { spawn } from 'node:child_process';
import { projectRoot } from '../../server/env';

export type IdleClientsBaseline = { clients: number; openSeconds: number; rssMb: number; hwmMb: number; /** The same process before it opened any client. */ emptyRssMb: number };

export async function measureIdleClients(job: {
  host: string;
  port: number;
  accounts: Array<{ user: string; password: string }>;
  concurrency?: number;
  settleMs?: number;
}): Promise<IdleClientsBaseline> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/idle-clients-process.ts'], { cwd: projectRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.end(JSON.stringify({ concurrency: 8, settleMs: 10_000, ...job }));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = out.trim().split('\n').pop();
  if (code !== 0 || !line) throw new Error(`idle-clients baseline failed (exit ${code}): ${err.slice(-2000)}`);
  return JSON.parse(line) as IdleClientsBaseline;
}

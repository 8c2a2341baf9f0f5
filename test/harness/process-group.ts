// The processes of one process group, read from /proc (Linux). Dovecot's master forks its services
// (login, auth, anvil, log, one imap per session) into its own group, and the harness starts the
// master as a group leader, so the group is exactly "this Dovecot instance".
import { readFileSync, readdirSync } from 'node:fs';

export type GroupProcess = { pid: number; ppid: number; state: string; comm: string };

function readStat(pid: string): (GroupProcess & { pgrp: number }) | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // exited while we were listing
  }
  // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses, so cut at the last ')'.
  const close = stat.lastIndexOf(')');
  const [state, ppid, pgrp] = stat.slice(close + 2).split(' ');
  return { pid: Number(pid), comm: stat.slice(stat.indexOf('(') + 1, close), state: state!, ppid: Number(ppid), pgrp: Number(pgrp) };
}

/** Members of the group that are still running. Zombies (state Z) are left out: they have exited and wait for their parent (or init) to reap them. */
export function liveGroupMembers(pgid: number): GroupProcess[] {
  const members: GroupProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const proc = readStat(entry);
    if (proc && proc.pgrp === pgid && proc.state !== 'Z') {
      members.push({ pid: proc.pid, ppid: proc.ppid, state: proc.state, comm: proc.comm });
    }
  }
  return members;
}

export function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Resolves once no member of the group is running. There is no event for "a process that is not
 * my child exited", so this checks /proc every `intervalMs`; it rejects after `timeoutMs`.
 */
export async function waitForGroupExit(pgid: number, timeoutMs: number, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const members = liveGroupMembers(pgid);
    if (members.length === 0) return;
    if (Date.now() >= deadline) {
      throw new Error(`processes of group ${pgid} still running after ${timeoutMs} ms: ${members.map((m) => `${m.comm}(${m.pid})`).join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

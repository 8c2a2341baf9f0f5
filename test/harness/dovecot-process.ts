// One run of a Dovecot master in the foreground (`dovecot -F`), owned by this process: started as
// the leader of its own process group, so that every process it forks can be found and stopped,
// and under `setpriv --pdeathsig` so that it shuts down if the test process dies without stopping it.
//
// Stopping, as measured with Dovecot 2.3.19: SIGTERM to the master alone makes it exit after ~1 s
// while the imap processes of open sessions linger ~8 s more and are then left for init to reap.
// Sending SIGTERM to the master and then to every other member of its group ends them all in
// ~0.15 s. The master does not always reap its last children (usually `log`) before it exits:
// those remain as zombies until init reaps them; they no longer run.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import net from 'node:net';
import { liveGroupMembers, signalQuietly, waitForGroupExit } from './process-group';

export const DOVECOT_BINARY = '/usr/sbin/dovecot';
const SETPRIV_BINARY = '/usr/bin/setpriv';
const LOG_TAIL_LINES = 400;
const STARTED_LINE = 'starting up for';

export type DovecotProcessOptions = {
  confPath: string;
  /** Everything Dovecot logs is appended here (the harness also keeps the last lines in memory). */
  logPath: string;
  imapPort: number;
  imapsPort: number;
  startTimeoutMs: number;
};

export type DovecotProcess = {
  readonly pid: number;
  readonly running: boolean;
  logTail(lines?: number): string;
  /** Stops the master and every process it started. Idempotent. */
  stop(timeoutMs?: number): Promise<void>;
};

function expectGreeting(port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = '';
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no IMAP greeting on port ${port} within ${timeoutMs} ms`)));
    socket.on('error', fail);
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (!received.includes('\r\n')) return;
      socket.destroy();
      if (received.startsWith('* OK')) resolve();
      else reject(new Error(`unexpected greeting on port ${port}: ${received.trim()}`));
    });
  });
}

function expectListening(port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve();
    });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`port ${port} did not accept a connection within ${timeoutMs} ms`));
    });
    socket.on('error', reject);
  });
}

export async function startDovecotProcess(options: DovecotProcessOptions): Promise<DovecotProcess> {
  const dovecotArgs = ['-F', '-c', options.confPath];
  const [command, args] = existsSync(SETPRIV_BINARY)
    ? [SETPRIV_BINARY, ['--pdeathsig', 'TERM', '--', DOVECOT_BINARY, ...dovecotArgs]]
    : [DOVECOT_BINARY, dovecotArgs];
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });

  const logFile = createWriteStream(options.logPath, { flags: 'a' });
  const tail: string[] = [];
  let partial = '';
  let onLine: ((line: string) => void) | undefined;
  const collect = (chunk: Buffer) => {
    logFile.write(chunk);
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      tail.push(line);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
      onLine?.(line);
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const logTail = (lines = 40) => [...tail, partial].filter(Boolean).slice(-lines).join('\n');

  let running = true;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // 'close' comes after 'exit' once every holder of the stdio pipes (Dovecot's log process keeps
  // the master's stderr) is gone, so the log is complete.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  void exited.then(() => {
    running = false;
  });

  const pid = child.pid;
  if (pid === undefined) {
    const spawnError = await new Promise<Error>((resolve) => child.once('error', resolve));
    logFile.end();
    throw new Error(`could not start ${command}: ${spawnError.message}`);
  }

  // If the test process exits without stop(), take the instance down with it.
  const killOnExit = () => signalQuietly(-pid, 'SIGKILL');
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (timeoutMs = 10_000): Promise<void> => {
    stopping ??= (async () => {
      if (running) signalQuietly(pid, 'SIGTERM');
      // Also when the master is already gone: its orphans would otherwise run on for seconds.
      for (const member of liveGroupMembers(pid)) {
        if (member.pid !== pid) signalQuietly(member.pid, 'SIGTERM');
      }
      try {
        await waitForGroupExit(pid, timeoutMs);
      } catch {
        signalQuietly(-pid, 'SIGKILL');
        await waitForGroupExit(pid, 2_000);
      }
      await exited;
      await closed;
      process.removeListener('exit', killOnExit);
      await new Promise<void>((resolve) => logFile.end(resolve));
    })();
    return stopping;
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Dovecot did not start within ${options.startTimeoutMs} ms`)),
        options.startTimeoutMs,
      );
      const settle = (err?: Error) => {
        clearTimeout(timer);
        onLine = undefined;
        if (err) reject(err);
        else resolve();
      };
      void exited.then(() => settle(new Error(`Dovecot exited (code ${child.exitCode}, signal ${child.signalCode}) before it was ready`)));
      onLine = (line) => {
        if (line.includes(STARTED_LINE)) settle();
        else if (/\bFatal:/.test(line)) settle(new Error(`Dovecot failed to start: ${line}`));
      };
    });
    // The master binds its listeners before it logs "starting up"; the greeting also proves that
    // a login process is serving them.
    await expectGreeting(options.imapPort, options.startTimeoutMs);
    await expectListening(options.imapsPort, options.startTimeoutMs);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- Dovecot log (last lines) ---\n${logTail(30)}`, { cause: err });
  }

  return {
    pid,
    get running() {
      return running;
    },
    logTail,
    stop,
  };
}

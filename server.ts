// The web process: one HTTP server on PORT that serves Next.js and Socket.IO.
// `node --import tsx server.ts` (production build) or with `--dev` (Next dev server, HMR).
// SIGTERM stops taking connections and closes cleanly; a second signal exits at once.
import { createServer } from 'node:http';
import next from 'next';
import { CLIENT_ADDRESS_HEADER } from './server/auth/options';
import { closeDb, sql } from './server/db/client';
import { prepareDatabase } from './server/db/prepare';
import { env } from './server/env';
import { newNonce, securityHeaders } from './server/http/security-headers';
import { createLogger } from './server/log';
import { onShutdownSignals, runMain } from './server/process-lifecycle';
import { attachRealtime } from './server/realtime/socket-server';

const SHUTDOWN_GRACE_MS = 10_000;

async function main() {
  const config = env();
  const log = createLogger('web');
  const dev = process.argv.includes('--dev');
  const database = await prepareDatabase((message) => log.info(message));

  const app = next({ dev, dir: process.cwd(), hostname: config.HOST, port: config.PORT });
  await app.prepare();
  const handle = app.getRequestHandler();
  const https = config.publicUrl.startsWith('https://');

  const httpServer = createServer((req, res) => {
    const forwarded = req.headers['x-forwarded-for'];
    const address =
      config.TRUST_PROXY && typeof forwarded === 'string' ? forwarded.split(',')[0].trim() : req.socket.remoteAddress;
    req.headers[CLIENT_ADDRESS_HEADER] = address ?? 'unknown';
    const headers = securityHeaders({ nonce: newNonce(), https, dev });
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    // Next.js reads the nonce from the request's policy and puts it on the scripts it renders.
    req.headers['content-security-policy'] = headers['Content-Security-Policy'];
    handle(req, res).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'request failed');
      if (!res.headersSent) res.writeHead(500).end('Internal error');
    });
  });
  const realtime = await attachRealtime(httpServer, sql(), log);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.PORT, config.HOST, resolve);
  });
  log.info({ port: config.PORT, dev, embeddedDatabase: database.embedded }, `Leopard web listening on ${config.publicUrl}`);

  onShutdownSignals(log, SHUTDOWN_GRACE_MS, async () => {
    await realtime.close().catch(() => {});
    httpServer.closeAllConnections();
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    await app.close?.().catch(() => {});
    await closeDb();
    await database.stop();
  });
}

runMain('web', main);

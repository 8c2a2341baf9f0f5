// The worker's HTTP face for operators: GET /health (200 when the database answers, 503 when not)
// and GET /metrics (Prometheus text format).
import { createServer, type Server } from 'node:http';
import { checkDatabase } from '../server/services/health';
import type { WorkerMetrics } from './metrics';

export function startHealthServer(options: {
  port: number;
  host: string;
  workerId: string;
  metrics: WorkerMetrics;
  heldProcessors: () => number;
}): Promise<Server> {
  const server = createServer(async (req, res) => {
    try {
      if (req.method === 'GET' && req.url === '/health') {
        const database = await checkDatabase();
        res.writeHead(database.ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: database.ok ? 'ok' : 'degraded', workerId: options.workerId, processors: options.heldProcessors(), database }));
        return;
      }
      if (req.method === 'GET' && req.url === '/metrics') {
        res.writeHead(200, { 'content-type': options.metrics.registry.contentType });
        res.end(await options.metrics.registry.metrics());
        return;
      }
      res.writeHead(404).end('Not found');
    } catch (err) {
      res.writeHead(500).end(err instanceof Error ? err.message : 'error');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}

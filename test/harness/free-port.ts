// Free loopback ports for test servers: bind port 0, read the port the kernel chose, release it.
// Another process could take the port between release and use; on a test machine that race is
// rare enough, and the servers we start fail loudly (EADDRINUSE) if it happens.
import net from 'node:net';

const LOOPBACK = '127.0.0.1';

function listenOnEphemeralPort(host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** `count` distinct free ports: all are held at once before any is released, so none repeats. */
export async function freePorts(count: number, host = LOOPBACK): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listenOnEphemeralPort(host));
    return servers.map((server) => (server.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map(close));
  }
}

export async function freePort(host = LOOPBACK): Promise<number> {
  const [port] = await freePorts(1, host);
  return port!;
}

// A loopback TCP proxy in front of a harness server that rewrites the protocol line by line, so a test can
// meet a lesser server (no STARTTLS, no STLS, no UIDL) that the real one stands behind. It records what
// clients send, so a test can check that no password crossed it.
import net from 'node:net';

export type LineRewritingProxy = {
  readonly port: number;
  /** Everything clients sent through the proxy, as text. */
  clientBytes(): string;
  close(): Promise<void>;
};

/** A line with its line end in, the new line out (null drops it). */
export type LineRewrite = (line: string) => string | null;

/** Rewrites complete lines; keeps an unfinished line for the next chunk. */
function lines(rewrite: LineRewrite): (chunk: Buffer) => Buffer {
  let pending = '';
  return (chunk) => {
    const text = pending + chunk.toString('latin1');
    const end = text.lastIndexOf('\n') + 1;
    pending = text.slice(end);
    const out = text
      .slice(0, end)
      .split(/(?<=\n)/)
      .flatMap((line) => rewrite(line) ?? []);
    return Buffer.from(out.join(''), 'latin1');
  };
}

export async function startLineRewritingProxy(
  upstream: { host: string; port: number },
  rewrite: { fromServer: LineRewrite; fromClient?: LineRewrite },
): Promise<LineRewritingProxy> {
  let sent = '';
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const server = net.connect(upstream.port, upstream.host);
    sockets.add(client).add(server);
    const fromServer = lines(rewrite.fromServer);
    const fromClient = rewrite.fromClient ? lines(rewrite.fromClient) : (chunk: Buffer) => chunk;
    server.on('data', (chunk: Buffer) => client.write(fromServer(chunk)));
    client.on('data', (chunk: Buffer) => {
      sent += chunk.toString('latin1');
      server.write(fromClient(chunk));
    });
    const end = () => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
    };
    client.on('close', end).on('error', end);
    server.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as net.AddressInfo;
  return {
    port,
    clientBytes: () => sent,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
  };
}

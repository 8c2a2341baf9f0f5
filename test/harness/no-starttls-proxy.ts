// A loopback TCP proxy in front of the harness Dovecot's plain port that removes STARTTLS from
// every capability list the server sends: to a client it is an IMAP server without encryption,
// as some internal servers are (and as a network that strips STARTTLS makes any server look).
// It records what clients send, so a test can check that no password crossed it.
import net from 'node:net';

export type NoStarttlsProxy = {
  readonly port: number;
  /** Everything clients sent through the proxy, as text. */
  clientBytes(): string;
  close(): Promise<void>;
};

/** Removes the STARTTLS capability from complete lines; keeps an unfinished line for the next chunk. */
function stripStarttls(): (chunk: Buffer) => Buffer {
  let pending = '';
  return (chunk) => {
    const text = pending + chunk.toString('latin1');
    const end = text.lastIndexOf('\n') + 1;
    pending = text.slice(end);
    return Buffer.from(text.slice(0, end).replace(/ STARTTLS(?=[ \]\r])/gi, ''), 'latin1');
  };
}

export async function startNoStarttlsProxy(upstream: { host: string; port: number }): Promise<NoStarttlsProxy> {
  let sent = '';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const server = net.connect(upstream.port, upstream.host);
    sockets.add(client).add(server);
    const strip = stripStarttls();
    server.on('data', (chunk: Buffer) => client.write(strip(chunk)));
    client.on('data', (chunk: Buffer) => {
      sent += chunk.toString('latin1');
      server.write(chunk);
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    clientBytes: () => sent,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

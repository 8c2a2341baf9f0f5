// A loopback TCP proxy in front of the harness Dovecot's plain POP3 port that makes it a lesser server: without
// STLS (removed from CAPA, as a network that strips it would), and/or without UIDL (removed from CAPA, and the
// UIDL command turned into an unknown one, so Dovecot answers -ERR as an RFC 1939-minimum server does).
// It records what clients send, so a test can check that no password crossed it.
import net from 'node:net';

export type Pop3CapabilityProxy = {
  readonly port: number;
  clientBytes(): string;
  close(): Promise<void>;
};

function lines(transform: (line: string) => string | null): (chunk: Buffer) => Buffer {
  let pending = '';
  return (chunk) => {
    const text = pending + chunk.toString('latin1');
    const end = text.lastIndexOf('\n') + 1;
    pending = text.slice(end);
    const out = text
      .slice(0, end)
      .split(/(?<=\n)/)
      .flatMap((line) => transform(line) ?? []);
    return Buffer.from(out.join(''), 'latin1');
  };
}

export async function startPop3CapabilityProxy(upstream: { host: string; port: number }, remove: { stls?: boolean; uidl?: boolean }): Promise<Pop3CapabilityProxy> {
  let sent = '';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const server = net.connect(upstream.port, upstream.host);
    sockets.add(client).add(server);
    const fromServer = lines((line) => ((remove.stls && /^STLS\r?\n$/i.test(line)) || (remove.uidl && /^UIDL\r?\n$/i.test(line)) ? null : line));
    const fromClient = lines((line) => (remove.uidl && /^UIDL\b/i.test(line) ? `X${line}` : line));
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

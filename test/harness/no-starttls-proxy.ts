// A loopback TCP proxy in front of the harness Dovecot's plain port that removes STARTTLS from
// every capability list the server sends: to a client it is an IMAP server without encryption,
// as some internal servers are (and as a network that strips STARTTLS makes any server look).
import { type LineRewritingProxy, startLineRewritingProxy } from './line-rewriting-proxy';

export type NoStarttlsProxy = LineRewritingProxy;

export function startNoStarttlsProxy(upstream: { host: string; port: number }): Promise<NoStarttlsProxy> {
  return startLineRewritingProxy(upstream, { fromServer: (line) => line.replace(/ STARTTLS(?=[ \]\r])/gi, '') });
}

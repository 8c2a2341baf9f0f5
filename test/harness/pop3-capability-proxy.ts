// A loopback TCP proxy in front of the harness Dovecot's plain POP3 port that makes it a lesser server: without
// STLS (removed from CAPA, as a network that strips it would), and/or without UIDL (removed from CAPA, and the
// UIDL command turned into an unknown one, so Dovecot answers -ERR as an RFC 1939-minimum server does).
import { type LineRewritingProxy, startLineRewritingProxy } from './line-rewriting-proxy';

export type Pop3CapabilityProxy = LineRewritingProxy;

export function startPop3CapabilityProxy(upstream: { host: string; port: number }, remove: { stls?: boolean; uidl?: boolean }): Promise<Pop3CapabilityProxy> {
  return startLineRewritingProxy(upstream, {
    fromServer: (line) => ((remove.stls && /^STLS\r?\n$/i.test(line)) || (remove.uidl && /^UIDL\r?\n$/i.test(line)) ? null : line),
    fromClient: (line) => (remove.uidl && /^UIDL\b/i.test(line) ? `X${line}` : line),
  });
}

// "Test connection" for a POP3 processor: connect (TLS, or STLS on a plain port), sign in, list with UIDL
// (a server without UIDL fails the test: Leopard would not read it), QUIT; within a fixed time budget. Built
// on the worker's own client (pop3-client.ts), so a test that passes means the worker connects the same way.
// Failures read as IMAP's do for the same cause (describe-pop3-error.ts).
import type { LookupFunction } from 'node:net';
import { describePop3Error } from './describe-pop3-error';
import { Pop3Client, type Pop3ConnectionSettings, POP3_CONNECTION_TIMEOUT_MS, POP3_GREETING_TIMEOUT_MS } from './pop3-client';

export const POP3_TEST_TIMEOUT_MS = 15_000;

export type Pop3ConnectionTestResult = { messageCount: number; encryption: 'tls' | 'starttls' | 'none' };

export async function testPop3Connection(
  settings: Pop3ConnectionSettings,
  opts: { timeoutMs?: number; lookup?: LookupFunction } = {},
): Promise<Pop3ConnectionTestResult> {
  const timeoutMs = opts.timeoutMs ?? POP3_TEST_TIMEOUT_MS;
  const context = { host: settings.host, port: settings.port, useSsl: settings.useSsl, timeoutMs };
  const client = new Pop3Client(settings, {
    connectionTimeout: Math.min(POP3_CONNECTION_TIMEOUT_MS, timeoutMs),
    greetingTimeout: Math.min(POP3_GREETING_TIMEOUT_MS, timeoutMs),
    socketTimeout: timeoutMs,
    lookup: opts.lookup,
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const code = client.stage === 'connecting' ? 'CONNECT_TIMEOUT' : client.stage === 'greeting' ? 'GREETING_TIMEOUT' : 'ETIMEOUT';
      reject(describePop3Error(Object.assign(new Error('Connection test timed out'), { code }), context));
    }, timeoutMs);
  });
  const probe = async () => {
    await client.connect();
    const listing = await client.list();
    // The test already succeeded; a server that drops the connection at QUIT does not undo that.
    await client.quit().catch(() => undefined);
    return { messageCount: listing.length, encryption: client.encryption };
  };
  try {
    return await Promise.race([probe(), deadline]);
  } catch (err) {
    throw describePop3Error(err, context);
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

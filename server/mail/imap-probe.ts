// "Test connection" for a processor's mailbox: connect, log in, open INBOX read-only, report
// the message count, log out; all within a fixed time budget. Any failure becomes an AppError
// whose code says what kind of problem it is (describe-imap-error.ts).
//
// The connection is built by buildImapFlowOptions (imap-client-options.ts), the same function the
// worker uses, so a successful test means the worker can connect the same way. Both helpers are
// re-exported here because callers know this module as the mailbox-connection entry point.
import type { LookupFunction } from 'node:net';
import { ImapFlow } from 'imapflow';
import { describeImapError } from './describe-imap-error';
import {
  buildImapFlowOptions,
  IMAP_CONNECTION_TIMEOUT_MS,
  IMAP_GREETING_TIMEOUT_MS,
  type ImapConnectionSettings,
} from './imap-client-options';

export { describeImapError } from './describe-imap-error';
export { buildImapFlowOptions, type ImapConnectionSettings } from './imap-client-options';

// Long enough for a slow server's TLS handshake, greeting delay and login; short enough that the
// admin is not left waiting on an address that silently drops packets.
export const IMAP_TEST_TIMEOUT_MS = 15_000;

export type TestImapConnectionOptions = {
  /** Total time for connect, login, EXAMINE INBOX and logout. Default 15 s. */
  timeoutMs?: number;
  /** Host name resolution (tests use it to keep lookups of made-up names off the network). */
  lookup?: LookupFunction;
};

export type ImapConnectionTestResult = {
  messageCount: number;
  /** INBOX UIDVALIDITY, as a string: it is a 32-bit unsigned number that ImapFlow reports as a bigint. */
  uidValidity: string;
  capabilities?: string[];
  /**
   * 'tls': implicit TLS; 'starttls': upgraded on the plain port; 'none': the server offered no STARTTLS
   * and the processor allows a connection without encryption (otherwise the test fails before the login).
   */
  encryption: 'tls' | 'starttls' | 'none';
};

export async function testImapConnection(
  settings: ImapConnectionSettings,
  opts: TestImapConnectionOptions = {},
): Promise<ImapConnectionTestResult> {
  const timeoutMs = opts.timeoutMs ?? IMAP_TEST_TIMEOUT_MS;
  const context = { host: settings.host, port: settings.port, useSsl: settings.useSsl, timeoutMs };
  const client = new ImapFlow(
    buildImapFlowOptions(settings, {
      connectionTimeout: Math.min(IMAP_CONNECTION_TIMEOUT_MS, timeoutMs),
      greetingTimeout: Math.min(IMAP_GREETING_TIMEOUT_MS, timeoutMs),
      socketTimeout: timeoutMs,
      disableAutoIdle: true,
      lookup: opts.lookup,
    }),
  );
  // ImapFlow also emits connection failures as 'error' events; unheard, Node would throw them.
  // The same failure rejects the pending command, which is where it is reported.
  client.on('error', () => {});

  // ImapFlow's own timeouts cover connect, greeting and silence, but not a server that trickles
  // bytes or a login that never completes; this timer bounds the whole exchange.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(describeImapError(timeoutError(client), context)), timeoutMs);
  });
  try {
    return await Promise.race([probeInbox(client, settings.useSsl), deadline]);
  } catch (err) {
    throw describeImapError(err, context);
  } finally {
    clearTimeout(timer);
    // Ends an attempt the deadline cut short; does nothing after a clean logout.
    client.close();
  }
}

// The deadline can fire before ImapFlow's own timer for the same stage; name the stage anyway, so
// that "connected but no greeting" (plain IMAP to an SSL port) reads the same either way.
function timeoutError(client: ImapFlow): { code: string; message: string } {
  if (!client.connectedAt) return { code: 'CONNECT_TIMEOUT', message: 'Connection test timed out while connecting' };
  if (!client.greeting) return { code: 'GREETING_TIMEOUT', message: 'Connection test timed out waiting for the greeting' };
  return { code: 'ETIMEOUT', message: 'Connection test timed out' };
}

async function probeInbox(client: ImapFlow, useSsl: boolean): Promise<ImapConnectionTestResult> {
  await client.connect();
  const capabilities = [...client.capabilities.keys()];
  const inbox = await client.mailboxOpen('INBOX', { readOnly: true });
  const result: ImapConnectionTestResult = {
    messageCount: inbox.exists,
    uidValidity: inbox.uidValidity.toString(),
    capabilities,
    encryption: useSsl ? 'tls' : client.secureConnection ? 'starttls' : 'none',
  };
  // The test already succeeded; a server that drops the connection instead of answering LOGOUT
  // must not turn it into a failure.
  await client.logout().catch(() => undefined);
  return result;
}

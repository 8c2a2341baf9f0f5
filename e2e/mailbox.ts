// The harness mailboxes the global setup created, and delivery into them by IMAP APPEND,
// as a mail server would deliver.
import { ImapFlow } from 'imapflow';

export type E2eMailbox = { user: string; password: string; address: string };

export function mailbox(index: number): E2eMailbox {
  const all = JSON.parse(process.env.E2E_MAILBOXES ?? '[]') as E2eMailbox[];
  if (!all[index]) throw new Error(`no e2e mailbox #${index}; the global setup creates ${all.length}`);
  return all[index];
}

export const imapPort = () => Number(process.env.E2E_IMAP_PORT);
export const pop3Port = () => Number(process.env.E2E_POP3_PORT);

export async function deliver(box: E2eMailbox, raw: string): Promise<void> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: imapPort(),
    secure: false,
    doSTARTTLS: false,
    auth: { user: box.user, pass: box.password },
    logger: false,
  });
  await client.connect();
  try {
    await client.append('INBOX', Buffer.from(raw.replace(/\r?\n/g, '\r\n')));
  } finally {
    await client.logout();
  }
}

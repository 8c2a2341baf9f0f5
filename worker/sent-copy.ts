// The copy of a sent reply in the mailbox's Sent folder (issue 12 item 7), so people who read the same
// mailbox with a normal mail client see the conversation. Runs after the send was recorded and never blocks
// it: a failure is recorded on the outbox row (shown on the message) and tried again with backoff.
// The folder is the one marked SPECIAL-USE \Sent (RFC 6154), else one named "Sent" (any letter case, at the
// top level or under INBOX); a mailbox with neither gets a clear error rather than a folder made up by us.
import { ImapFlow } from 'imapflow';
import { buildImapFlowOptions, type ImapConnectionSettings } from '../server/mail/imap-client-options';

export class SentFolderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SentFolderError';
  }
}

type Folder = { path: string; name: string; specialUse?: string; flags?: Set<string> };

export function chooseSentFolder(folders: Folder[]): string | null {
  const special = folders.find((f) => f.specialUse === '\\Sent' || f.flags?.has('\\Sent'));
  if (special) return special.path;
  const named = folders.find((f) => f.name.toLowerCase() === 'sent' && (f.path.toLowerCase() === 'sent' || /^inbox[./]sent$/i.test(f.path)));
  return named?.path ?? null;
}

export async function appendToSentFolder(settings: ImapConnectionSettings, raw: Buffer, sentAt: Date): Promise<string> {
  const client = new ImapFlow(buildImapFlowOptions(settings, { disableAutoIdle: true }));
  client.on('error', () => {}); // reported through the failing command below
  try {
    await client.connect();
    const folders = (await client.list()) as Folder[];
    const path = chooseSentFolder(folders);
    if (path === null) throw new SentFolderError('The mailbox has no Sent folder (none marked \\Sent and none named "Sent"): create one, or turn off "Copy to Sent".');
    const appended = await client.append(path, raw, ['\\Seen'], sentAt);
    if (!appended) throw new SentFolderError(`The server did not accept the copy into "${path}".`);
    return path;
  } catch (err) {
    if (err instanceof SentFolderError) throw err;
    const e = err as Error & { responseText?: string };
    throw new SentFolderError(`Could not store the copy in the Sent folder: ${e.responseText ?? e.message}`, { cause: err });
  } finally {
    await client.logout().catch(() => client.close());
  }
}

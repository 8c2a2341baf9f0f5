// Delivery as a mail server's local delivery agent does it: the file is written into the user's
// Maildir (tmp/, then renamed into new/), with no IMAP login. Used where logins would distort what is
// measured (hundreds of mailboxes at once) and where IMAP is down (the Dovecot outage drill: mail keeps
// arriving while the IMAP server is stopped). Dovecot's IDLE sessions notice new files by inotify.
import { chownSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DovecotHarness } from '../../test/harness/dovecot';

let sequence = 0;

export function deliverToMaildir(dovecot: DovecotHarness, user: string, raw: Buffer): void {
  const home = path.join(dovecot.dir, 'mail', user);
  const maildir = path.join(home, 'Maildir');
  // The harness chowns each home to the user's own uid; the mail must belong to it too.
  const owner = statSync(home);
  for (const sub of ['tmp', 'new', 'cur']) {
    const dir = path.join(maildir, sub);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chownSync(dir, owner.uid, owner.gid);
  }
  chownSync(maildir, owner.uid, owner.gid);
  const name = `${Date.now()}.M${++sequence}P${process.pid}.bench`;
  const tmp = path.join(maildir, 'tmp', name);
  writeFileSync(tmp, raw, { mode: 0o600 });
  chownSync(tmp, owner.uid, owner.gid);
  renameSync(tmp, path.join(maildir, 'new', name));
}

// The mailbox users of a test Dovecot: one passwd-file per user (`DIR/users/<name>`, one line
// `name:{PLAIN}password:uid:gid::home::`), found through `%u` in the passdb and userdb paths.
//
// Why one file per user: Dovecot checks a passwd-file for changes at most once per second (and
// then compares mtime in whole seconds and size). With a single shared file, a user added right
// after another login stays unknown for up to a second. A file Dovecot has not read before is
// always read fresh, so a new user can log in at once. A changed or removed user can still be
// stale for up to a second: the harness waits for that (see waitForAuthResult in dovecot.ts).
import { mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const USER_NAME = /^[A-Za-z0-9._@+-]+$/;

export type PasswdEntry = { password: string; uid: number; gid: number; home: string };

export class PasswdFiles {
  private readonly entries = new Map<string, PasswdEntry>();
  private readonly lastMtimeSec = new Map<string, number>();

  constructor(readonly dir: string) {
    // 0755/0644: Dovecot's auth process runs as the `dovecot` user, not root.
    mkdirSync(dir, { mode: 0o755, recursive: true });
  }

  /** The passdb/userdb path for dovecot.conf. */
  get pathPattern(): string {
    return path.join(this.dir, '%u');
  }

  get(user: string): PasswdEntry | undefined {
    return this.entries.get(user);
  }

  set(user: string, entry: PasswdEntry): void {
    if (!USER_NAME.test(user) || user.startsWith('.')) throw new Error(`invalid test user name ${JSON.stringify(user)}`);
    // The passwd-file format is colon-separated and line-based; anything else would corrupt it.
    if (!entry.password || /[:\r\n]/.test(entry.password)) throw new Error('test passwords must be non-empty and contain no ":" or line breaks');
    this.entries.set(user, entry);
    const file = path.join(this.dir, user);
    // Write then rename, so the auth process never reads a half-written file.
    writeFileSync(`${file}.tmp`, `${user}:{PLAIN}${entry.password}:${entry.uid}:${entry.gid}::${entry.home}::\n`, { mode: 0o644 });
    renameSync(`${file}.tmp`, file);
    // Dovecot compares mtime (seconds) and size only: a new password of the same length written
    // within the same second would look unchanged, so the mtime always moves forward.
    const mtime = Math.max(Math.floor(Date.now() / 1000), (this.lastMtimeSec.get(user) ?? 0) + 1);
    this.lastMtimeSec.set(user, mtime);
    utimesSync(file, mtime, mtime);
  }

  delete(user: string): boolean {
    if (!this.entries.delete(user)) return false;
    rmSync(path.join(this.dir, user), { force: true });
    return true;
  }
}

// A small POP3 client (RFC 1939), with CAPA (RFC 2449), STLS (RFC 2595) and AUTH XOAUTH2 with an initial
// response (RFC 5034). Leopard's own rather than node-pop3 0.11.0: that library has no STLS, no SASL AUTH (so no
// OAuth2) and reports a server's refusal only as a message string, and POP3 is small enough that the whole
// client fits here: one command at a time, a line or a dot-terminated block per answer.
//
// Failures are errors shaped like imapflow's (code / authenticationFailed / tlsFailed / responseText), so
// describe-pop3-error.ts tells the same causes apart as for IMAP. The password and token are never part of
// an error: a failed command is named by its first word only.
import net from 'node:net';
import tls from 'node:tls';

export const POP3_CONNECTION_TIMEOUT_MS = 15_000;
export const POP3_GREETING_TIMEOUT_MS = 16_000;
/** Silence on a connection with a command outstanding; a big RETR keeps sending, so it does not hit this. */
export const POP3_SOCKET_TIMEOUT_MS = 5 * 60_000;

export type Pop3ConnectionSettings = {
  host: string;
  port: number;
  /** Implicit TLS (port 995). Off: plain, upgraded with STLS; without STLS only when allowCleartextLogin. */
  useSsl: boolean;
  login: string;
  password: string;
  /** OAuth2: signs in with AUTH XOAUTH2 and this token instead of the password. */
  accessToken?: string;
  allowUntrustedCert: boolean;
  allowCleartextLogin?: boolean;
  /** PEM certificates trusted besides the system's (a private CA). */
  extraCa?: string;
};

export type Pop3Timeouts = { connectionTimeout?: number; greetingTimeout?: number; socketTimeout?: number; lookup?: net.LookupFunction };

export class Pop3Error extends Error {
  code?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  /** The server's words after -ERR. */
  responseText?: string;
  /** The RFC 2449/3206 response code in brackets: AUTH, IN-USE, SYS/TEMP, SYS/PERM, LOGIN-DELAY. */
  responseCode?: string;
  command?: string;
  constructor(message: string, fields: Partial<Pick<Pop3Error, 'code' | 'authenticationFailed' | 'tlsFailed' | 'responseText' | 'responseCode' | 'command'>> = {}) {
    super(message);
    this.name = 'Pop3Error';
    Object.assign(this, fields);
  }
}

export type Pop3Listing = Array<{ number: number; uidl: string; size: number }>;

export class Pop3Client {
  private socket: net.Socket | null = null;
  private chunks: Buffer[] = [];
  private wake: (() => void) | null = null;
  private failure: Error | null = null;
  private closed = false;
  capabilities = new Set<string>();
  encryption: 'tls' | 'starttls' | 'none' = 'none';
  stage: 'connecting' | 'greeting' | 'ready' = 'connecting';

  constructor(
    private readonly settings: Pop3ConnectionSettings,
    private readonly timeouts: Pop3Timeouts = {},
  ) {}

  get usable(): boolean {
    return this.socket !== null && !this.closed && this.failure === null;
  }

  /** Connects, reads the greeting, secures the connection, checks UIDL and signs in. */
  async connect(): Promise<void> {
    const s = this.settings;
    const socket = await this.open();
    this.attach(socket);
    this.stage = 'greeting';
    const greetingTimer = setTimeout(
      () => this.fail(new Pop3Error('No POP3 greeting', { code: 'GREETING_TIMEOUT' })),
      this.timeouts.greetingTimeout ?? POP3_GREETING_TIMEOUT_MS,
    );
    try {
      await this.expectOk(await this.readLine(), 'greeting');
    } finally {
      clearTimeout(greetingTimer);
    }
    this.stage = 'ready';
    await this.readCapabilities();
    if (s.useSsl) {
      this.encryption = 'tls';
    } else if (this.capabilities.has('STLS')) {
      await this.command('STLS');
      await this.upgrade();
      this.encryption = 'starttls';
      // RFC 2595: what the server said before TLS is forgotten; ask again.
      await this.readCapabilities();
    } else if (!s.allowCleartextLogin) {
      throw new Pop3Error('The server does not support STLS', { code: 'NO_STLS', tlsFailed: true });
    }
    await this.signIn();
  }

  private open(): Promise<net.Socket> {
    const s = this.settings;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Pop3Error('Connection timed out', { code: 'CONNECT_TIMEOUT' }));
      }, this.timeouts.connectionTimeout ?? POP3_CONNECTION_TIMEOUT_MS);
      const done = (err?: Error) => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        if (err) {
          socket.destroy();
          if (s.useSsl && !('code' in err && String((err as { code?: string }).code).startsWith('E'))) Object.assign(err, { tlsFailed: true });
          reject(err);
        } else resolve(socket);
      };
      const socket: net.Socket = s.useSsl
        ? tls.connect({ host: s.host, port: s.port, servername: net.isIP(s.host) ? undefined : s.host, rejectUnauthorized: !s.allowUntrustedCert, ...this.ca(), lookup: this.timeouts.lookup }, () => done())
        : net.connect({ host: s.host, port: s.port, lookup: this.timeouts.lookup }, () => done());
      socket.once('error', done);
    });
  }

  private ca(): { ca?: string[] } {
    return this.settings.extraCa ? { ca: [...tls.rootCertificates, this.settings.extraCa] } : {};
  }

  private attach(socket: net.Socket): void {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.notify();
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => {
      this.closed = true;
      this.fail(new Pop3Error('The mail server closed the connection.', { code: 'EConnectionClosed' }));
    });
    socket.setTimeout(this.timeouts.socketTimeout ?? POP3_SOCKET_TIMEOUT_MS, () =>
      this.fail(new Pop3Error('The mail server stopped answering', { code: 'ETIMEOUT' })),
    );
  }

  private upgrade(): Promise<void> {
    const plain = this.socket!;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    plain.setTimeout(0);
    const s = this.settings;
    return new Promise((resolve, reject) => {
      const secure = tls.connect({ socket: plain, servername: net.isIP(s.host) ? undefined : s.host, rejectUnauthorized: !s.allowUntrustedCert, ...this.ca() }, () => {
        secure.removeListener('error', onError);
        this.attach(secure);
        resolve();
      });
      // Never a fall-back to the plain connection: a failed upgrade ends it.
      const onError = (err: Error) => {
        secure.destroy();
        plain.destroy();
        reject(Object.assign(err, { tlsFailed: true }));
      };
      secure.once('error', onError);
    });
  }

  private async readCapabilities(): Promise<void> {
    this.capabilities = new Set();
    const line = await this.send('CAPA');
    // A server without CAPA (RFC 1939 only) says -ERR: it has none to announce.
    if (!line.startsWith('+OK')) return;
    const block = (await this.readBlock()).toString('latin1');
    for (const cap of block.split('\r\n')) if (cap.trim()) this.capabilities.add(cap.trim().split(' ')[0]!.toUpperCase());
  }

  private async signIn(): Promise<void> {
    const s = this.settings;
    if (s.accessToken !== undefined) {
      const ir = Buffer.from(`user=${s.login}\x01auth=Bearer ${s.accessToken}\x01\x01`).toString('base64');
      let line = await this.send(`AUTH XOAUTH2 ${ir}`, 'AUTH');
      // A refusal comes as a challenge holding the reason (JSON); an empty answer ends the exchange.
      if (line.startsWith('+ ') || line === '+') line = await this.send('', 'AUTH');
      this.expectLogin(line, 'AUTH');
      return;
    }
    this.expectLogin(await this.send(`USER ${s.login}`, 'USER'), 'USER');
    this.expectLogin(await this.send(`PASS ${s.password}`, 'PASS'), 'PASS');
  }

  private expectLogin(line: string, command: string): void {
    if (line.startsWith('+OK')) return;
    const { text, code } = parseErr(line);
    // [SYS/TEMP], [IN-USE], [LOGIN-DELAY]: the login was right; the server cannot serve it now.
    const refused = code === undefined || code === 'AUTH' || code === 'SYS/PERM';
    throw new Pop3Error(`${command} failed: ${text}`, { authenticationFailed: refused, responseText: text, responseCode: code, command, code: refused ? undefined : 'POP3_TEMPORARY' });
  }

  /** Every message's number, UIDL and size. A server without UIDL is refused (code NO_UIDL). */
  async list(): Promise<Pop3Listing> {
    const uidlLine = await this.send('UIDL');
    if (!uidlLine.startsWith('+OK')) {
      const { text } = parseErr(uidlLine);
      throw new Pop3Error('The server does not support UIDL', { code: 'NO_UIDL', responseText: text, command: 'UIDL' });
    }
    const uidls = new Map<number, string>();
    for (const line of (await this.readBlock()).toString('latin1').split('\r\n')) {
      const [n, uidl] = line.trim().split(/\s+/);
      if (n && uidl) uidls.set(Number(n), uidl);
    }
    await this.command('LIST');
    const listing: Pop3Listing = [];
    for (const line of (await this.readBlock()).toString('latin1').split('\r\n')) {
      const [n, size] = line.trim().split(/\s+/);
      const uidl = uidls.get(Number(n));
      if (n && uidl !== undefined) listing.push({ number: Number(n), uidl, size: Number(size) });
    }
    return listing.sort((a, b) => a.number - b.number);
  }

  /** The message's bytes, dot-unstuffed. */
  async retrieve(number: number): Promise<Buffer> {
    await this.command(`RETR ${number}`);
    return unstuff(await this.readBlock());
  }

  /** Marks a message deleted; the server removes it at QUIT (a connection that drops deletes nothing). */
  async delete(number: number): Promise<void> {
    await this.command(`DELE ${number}`);
  }

  async quit(): Promise<void> {
    if (!this.usable) return;
    await this.command('QUIT');
    this.close();
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.fail(new Pop3Error('The connection was closed.', { code: 'EConnectionClosed' }));
  }

  private async command(line: string): Promise<string> {
    const answer = await this.send(line);
    return this.expectOk(answer, line.split(' ')[0]!);
  }

  private expectOk(line: string, command: string): string {
    if (line.startsWith('+OK')) return line;
    const { text, code } = parseErr(line);
    throw new Pop3Error(`${command} failed: ${text}`, { responseText: text, responseCode: code, command, code: 'POP3_REFUSED' });
  }

  private async send(line: string, name = line.split(' ')[0]): Promise<string> {
    if (!this.usable) throw this.failure ?? new Pop3Error('Not connected', { code: 'NoConnection' });
    void name;
    this.socket!.write(`${line}\r\n`);
    return this.readLine();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async more(): Promise<void> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.chunks.length === 0 && this.failure) throw this.failure;
  }

  private async readLine(): Promise<string> {
    for (;;) {
      if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
      const buf = this.chunks[0];
      const end = buf ? buf.indexOf('\r\n') : -1;
      if (buf && end >= 0) {
        const rest = buf.subarray(end + 2);
        this.chunks = rest.length > 0 ? [rest] : [];
        return buf.subarray(0, end).toString('utf8');
      }
      await this.more();
    }
  }

  /** The block after a +OK line, up to the line holding a single dot (not unstuffed). */
  private async readBlock(): Promise<Buffer> {
    const parts: Buffer[] = [];
    // The block's first line follows the +OK line's CRLF: an empty block is ".\r\n" at once.
    let tail = Buffer.from('\r\n');
    let tailReal = 0;
    for (;;) {
      while (this.chunks.length > 0) {
        const chunk = this.chunks.shift()!;
        const joined = Buffer.concat([tail, chunk]);
        const at = joined.indexOf('\r\n.\r\n');
        if (at >= 0) {
          const end = at + 2 - tail.length;
          if (end >= 0) parts.push(chunk.subarray(0, end));
          else trimEnd(parts, -end, tailReal);
          const rest = joined.subarray(at + 5);
          if (rest.length > 0) this.chunks.unshift(rest);
          return Buffer.concat(parts);
        }
        parts.push(chunk);
        tailReal = Math.min(4, tailReal + chunk.length);
        tail = joined.subarray(Math.max(0, joined.length - 4));
      }
      await this.more();
    }
  }
}

function trimEnd(parts: Buffer[], bytes: number, available: number): void {
  let left = Math.min(bytes, available);
  while (left > 0 && parts.length > 0) {
    const last = parts.pop()!;
    if (last.length > left) {
      parts.push(last.subarray(0, last.length - left));
      return;
    }
    left -= last.length;
  }
}

/** RFC 1939 byte-stuffing: a line that starts with a dot was sent with one more. */
export function unstuff(block: Buffer): Buffer {
  const out: Buffer[] = [];
  let from = 0;
  if (block[0] === 0x2e && block[1] === 0x2e) from = 1;
  for (;;) {
    const at = block.indexOf('\r\n..', from);
    if (at < 0) break;
    out.push(block.subarray(from, at + 3));
    from = at + 4;
  }
  out.push(block.subarray(from));
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}

function parseErr(line: string): { text: string; code?: string } {
  const text = line.replace(/^-ERR\s?/, '').trim();
  const m = /^\[([^\]]+)\]\s*/.exec(text);
  return m ? { text, code: m[1]!.toUpperCase() } : { text };
}

// When a stored mailbox password may be used without the admin typing it again.
// A sealed password is only ever opened for the server it was typed for: an admin who changes where or how
// Leopard connects (host, port, login, or the TLS settings that protect the password on the way) must type it
// again, so nobody with the admin role can make Leopard send a mailbox's password to a server of their choosing
// or over a weaker connection. Host names compare without letter case and a trailing dot (DNS ignores both).

/** What a stored password is bound to. */
export type MailboxServer = {
  host: string;
  port: number;
  useSsl: boolean;
  login: string;
  allowUntrustedCert: boolean;
  allowCleartextLogin: boolean;
};

export type ServerSettingName = keyof MailboxServer;

export const RETYPE_PASSWORD_MESSAGE = 'Type the password again: the server settings changed.';

const SETTING_NAMES: ServerSettingName[] = ['host', 'port', 'useSsl', 'login', 'allowUntrustedCert', 'allowCleartextLogin'];

function normalHost(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '');
}

/** The settings that differ from the ones the password was stored with; empty when it may be reused. */
export function serverSettingsChanged(stored: MailboxServer, requested: MailboxServer): ServerSettingName[] {
  return SETTING_NAMES.filter((name) =>
    name === 'host' ? normalHost(stored.host) !== normalHost(requested.host) : name === 'login' ? stored.login.trim() !== requested.login.trim() : stored[name] !== requested[name],
  );
}

/** True when the stored password may be sent with these settings without being typed again. */
export function mayReuseStoredPassword(stored: MailboxServer, requested: MailboxServer): boolean {
  return serverSettingsChanged(stored, requested).length === 0;
}

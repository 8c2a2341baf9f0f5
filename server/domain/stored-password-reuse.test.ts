import { describe, expect, it } from 'vitest';
import { type MailboxServer, mayReuseStoredPassword, serverSettingsChanged } from './stored-password-reuse';

const stored: MailboxServer = { host: 'mail.example.com', port: 993, useSsl: true, login: 'support', allowUntrustedCert: false, allowCleartextLogin: false };

describe('reusing a stored mailbox password', () => {
  it('is allowed when the server settings are the ones it was stored with', () => {
    expect(mayReuseStoredPassword(stored, { ...stored })).toBe(true);
  });

  it('ignores letter case and a trailing dot in the host name, and spaces around the login', () => {
    expect(mayReuseStoredPassword(stored, { ...stored, host: 'MAIL.Example.com.', login: ' support ' })).toBe(true);
  });

  it('is refused for another host, so the password never reaches a server of the admin’s choosing', () => {
    expect(serverSettingsChanged(stored, { ...stored, host: 'attacker.example.net' })).toEqual(['host']);
  });

  it('is refused for another port or login', () => {
    expect(serverSettingsChanged(stored, { ...stored, port: 10993 })).toEqual(['port']);
    expect(serverSettingsChanged(stored, { ...stored, login: 'admin' })).toEqual(['login']);
  });

  it('is refused when a TLS setting changes, since that changes who can read the password on the way', () => {
    expect(serverSettingsChanged(stored, { ...stored, useSsl: false })).toEqual(['useSsl']);
    expect(serverSettingsChanged(stored, { ...stored, allowUntrustedCert: true })).toEqual(['allowUntrustedCert']);
    expect(serverSettingsChanged(stored, { ...stored, allowCleartextLogin: true })).toEqual(['allowCleartextLogin']);
  });

  it('names every setting that changed', () => {
    expect(serverSettingsChanged(stored, { ...stored, host: 'other.example.com', port: 143, useSsl: false })).toEqual(['host', 'port', 'useSsl']);
  });
});

import { describe, expect, it } from 'vitest';
import { createProcessorSchema, describeEncryption, isValidHost, sslAdvice, suggestsSsl, updateProcessorSchema } from './processor-settings';

const valid = {
  emailAddress: 'support@example.com',
  name: 'Support',
  active: true,
  host: 'mail.example.com',
  type: 'imap',
  port: 993,
  useSsl: true,
  login: 'support',
  password: 'secret',
  autoReply: true,
};

function fieldErrors(input: unknown) {
  const result = createProcessorSchema.safeParse(input);
  return result.success ? {} : Object.fromEntries(result.error.issues.map((i) => [i.path.join('.'), i.message]));
}

describe('processor settings', () => {
  it('accepts a complete IMAP processor', () => {
    expect(fieldErrors(valid)).toEqual({});
  });

  it('requires every seed field, each with its own message', () => {
    const errors = fieldErrors({ type: 'imap' });
    expect(Object.keys(errors).sort()).toEqual(
      ['active', 'autoReply', 'emailAddress', 'host', 'login', 'name', 'password', 'port', 'useSsl'].sort(),
    );
  });

  it.each([0, 65536, 1.5, -1])('refuses port %s', (port) => {
    expect(fieldErrors({ ...valid, port })).toHaveProperty('port');
  });

  it('accepts IMAP and POP3 and refuses any other type', () => {
    expect(fieldErrors({ ...valid, type: 'pop3' })).toEqual({});
    expect(fieldErrors({ ...valid, type: 'exchange' })).toEqual({ type: 'Choose IMAP or POP3.' });
  });

  it.each(['mail.example.com', 'localhost', '127.0.0.1', '::1', 'imap-1.mail.example.co.uk'])('accepts host %s', (host) => {
    expect(isValidHost(host)).toBe(true);
  });

  it.each(['mail..example.com', '-mail.example.com', 'mail_example', '300.1.1.1', 'http://mail.example.com', 'a b'])(
    'refuses host %s',
    (host) => {
      expect(isValidHost(host)).toBe(false);
    },
  );

  it('suggests SSL for 585 and 993 only', () => {
    expect([143, 585, 993, 1993].map(suggestsSsl)).toEqual([false, true, true, false]);
  });

  describe('the Use SSL suggestion', () => {
    it('gives no advice while the box matches the port, or for a port the seed does not name', () => {
      expect(sslAdvice(993, true)).toBeNull();
      expect(sslAdvice(585, true)).toBeNull();
      expect(sslAdvice(143, false)).toBeNull();
      // Custom ports and the digits typed on the way to 993: the admin's box is theirs.
      for (const port of [9, 99, 995, 10993, 1143]) {
        expect(sslAdvice(port, true)).toBeNull();
        expect(sslAdvice(port, false)).toBeNull();
      }
    });

    it('suggests ticking SSL on 585 and 993 and unticking it on 143, in words, never by changing the box', () => {
      expect(sslAdvice(993, false)).toBe('Port 993 usually expects SSL: tick Use SSL unless your server says otherwise.');
      expect(sslAdvice(585, false)).toMatch(/^Port 585 usually expects SSL/);
      expect(sslAdvice(143, true)).toBe('Port 143 is usually plain IMAP, upgraded with STARTTLS: untick Use SSL unless your server expects SSL on it.');
    });
  });

  it('names each kind of session encryption, and warns only for none', () => {
    expect(describeEncryption('tls')).toEqual({ text: 'Encrypted with SSL/TLS from the first byte.', warning: false });
    expect(describeEncryption('starttls').warning).toBe(false);
    expect(describeEncryption('starttls').text).toContain('STARTTLS');
    expect(describeEncryption('none').warning).toBe(true);
    expect(describeEncryption('none').text).toMatch(/^NOT encrypted/);
  });

  it('keeps a cleartext login off unless it is asked for', () => {
    expect(createProcessorSchema.parse(valid).allowCleartextLogin).toBeUndefined();
    expect(createProcessorSchema.parse({ ...valid, allowCleartextLogin: true }).allowCleartextLogin).toBe(true);
  });

  it('lets an edit leave the password out', () => {
    const { password: _omit, ...rest } = valid;
    expect(updateProcessorSchema.safeParse({ ...rest, id: '5f1a7c9e-2b1d-4c3e-8f00-0a1b2c3d4e5f' }).success).toBe(true);
  });
});

describe('the authserv-id setting', () => {
  const parse = (authservId: unknown) => createProcessorSchema.safeParse({ ...valid, authservId });

  it('takes a host name, "(none)" for Microsoft 365, and reads empty as off', () => {
    expect(parse('mx.google.com').data?.authservId).toBe('mx.google.com');
    expect(parse(' (none) ').data?.authservId).toBe('(none)');
    expect(parse('').data?.authservId).toBeNull();
  });

  it('refuses a value no server writes as its id', () => {
    for (const bad of ['mx google.com', 'mx.example.com; dmarc=pass', '"quoted"']) expect(parse(bad).success, bad).toBe(false);
  });
});

describe('OAuth2 sign-in on the processor form', () => {
  const oauth = {
    emailAddress: 'support@contoso.com',
    name: 'Support',
    active: true,
    host: 'outlook.office365.com',
    type: 'imap' as const,
    port: 993,
    useSsl: true,
    login: '',
    autoReply: true,
    authMethod: 'oauth2' as const,
  };
  it('an OAuth2 processor needs its provider but no password, and may leave the mailbox empty', () => {
    expect(createProcessorSchema.safeParse({ ...oauth, oauthProviderId: '5f1a7c9e-2b1d-4c3e-8f00-0a1b2c3d4e5f' }).success).toBe(true);
    const missing = createProcessorSchema.safeParse(oauth);
    expect(missing.success).toBe(false);
    expect(missing.error!.issues.map((i) => i.path.join('.'))).toEqual(['oauthProviderId']);
  });
  it('a password processor still needs its login and password', () => {
    const result = createProcessorSchema.safeParse({ ...oauth, authMethod: 'password' });
    expect(result.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['login', 'password']);
  });
});

describe('sslAdvice for POP3', () => {
  it('suggests SSL for port 995 and plain POP3 with STLS for port 110, as words only', () => {
    expect(sslAdvice(995, false, 'pop3')).toBe('Port 995 usually expects SSL: tick Use SSL unless your server says otherwise.');
    expect(sslAdvice(110, true, 'pop3')).toBe('Port 110 is usually plain POP3, upgraded with STLS: untick Use SSL unless your server expects SSL on it.');
    expect(sslAdvice(995, true, 'pop3')).toBeNull();
    expect(sslAdvice(110, false, 'pop3')).toBeNull();
    // IMAP's ports mean nothing for POP3.
    expect(sslAdvice(993, false, 'pop3')).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { createProcessorSchema, isValidHost, suggestsSsl, updateProcessorSchema } from './processor-settings';

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

  it('refuses a POP3 type, which the seed lists only as upcoming', () => {
    expect(fieldErrors({ ...valid, type: 'pop3' })).toEqual({ type: 'Only IMAP is supported.' });
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

  it('lets an edit leave the password out', () => {
    const { password: _omit, ...rest } = valid;
    expect(updateProcessorSchema.safeParse({ ...rest, id: '5f1a7c9e-2b1d-4c3e-8f00-0a1b2c3d4e5f' }).success).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { bindingMatches, decodeSmtpSecret, encodeSmtpSecret, mayUseMailboxPassword, outgoingServerSchema } from './outgoing-server';

const binding = { host: 'smtp.example.com', port: 587, security: 'starttls' as const, login: 'support', allowUntrustedCert: false };

describe('the outgoing server of a processor', () => {
  it('lends the mailbox password only to the mailbox own host', () => {
    expect(mayUseMailboxPassword('Mail.Example.com.', 'mail.example.com')).toBe(true);
    expect(mayUseMailboxPassword('mail.example.com', 'smtp.attacker.example')).toBe(false);
  });

  it('opens a stored SMTP password only for the settings it was typed for', () => {
    const sealed = decodeSmtpSecret(encodeSmtpSecret('s3cret', binding))!;
    expect(sealed.password).toBe('s3cret');
    expect(bindingMatches(sealed.binding, { ...binding, host: 'SMTP.example.com' })).toBe(true);
    expect(bindingMatches(sealed.binding, { ...binding, host: 'smtp.attacker.example' })).toBe(false);
    expect(bindingMatches(sealed.binding, { ...binding, port: 25 })).toBe(false);
    expect(bindingMatches(sealed.binding, { ...binding, security: 'tls' })).toBe(false);
    expect(bindingMatches(sealed.binding, { ...binding, login: 'other' })).toBe(false);
    expect(bindingMatches(sealed.binding, { ...binding, allowUntrustedCert: true })).toBe(false);
    expect(decodeSmtpSecret('plain old password')).toBeNull();
  });

  it('needs a host when the mailbox SMTP server is chosen', () => {
    const r = outgoingServerSchema.safeParse({ processorId: '6f1c3c1e-1d2b-4c1a-9f1e-000000000001', mode: 'smtp', smtpHost: '' });
    expect(r.success).toBe(false);
  });
});

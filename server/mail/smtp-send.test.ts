import { describe, expect, it } from 'vitest';
import { queueIdOf, smtpSettingsFromUrl } from './smtp-send';

describe('the answer of an SMTP server', () => {
  it('gives the queue id of Postfix, Exim, Sendmail-style and smtp-server answers', () => {
    expect(queueIdOf('250 2.0.0 Ok: queued as 4FqXyZ1bc')).toBe('4FqXyZ1bc');
    expect(queueIdOf('250 OK id=1tGx3a-0004Qn-2B')).toBe('1tGx3a-0004Qn-2B');
    expect(queueIdOf('250 2.0.0 5B1AbCdE012345 Message accepted for delivery')).toBeNull();
    expect(queueIdOf('250 Ok: queued as <QABC0001>')).toBe('QABC0001');
  });
});

describe('the system SMTP_URL', () => {
  it('reads host, port, TLS mode and the login', () => {
    expect(smtpSettingsFromUrl('smtps://me%40x.example:p%3Ass@smtp.x.example')).toEqual({
      host: 'smtp.x.example',
      port: 465,
      security: 'tls',
      allowUntrustedCert: false,
      auth: { user: 'me@x.example', pass: 'p:ss' },
    });
    expect(smtpSettingsFromUrl('smtp://127.0.0.1:2525')).toMatchObject({ port: 2525, security: 'opportunistic', auth: null });
  });
});

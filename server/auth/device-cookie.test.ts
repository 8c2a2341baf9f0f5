import { describe, expect, it } from 'vitest';
import { deviceCookieHeader, issueDeviceToken, verifyDeviceToken } from './device-cookie';

const secret = 'test-secret-0123456789-0123456789';

describe('device cookies', () => {
  it('proves a browser for the account it was issued to, whatever the case of the email', () => {
    const { deviceId, token } = issueDeviceToken({ secret, email: 'jane@example.com' });
    expect(verifyDeviceToken({ secret, email: 'Jane@Example.COM', token })).toBe(deviceId);
  });

  it('proves nothing for another account, another secret, or a changed id', () => {
    const { token } = issueDeviceToken({ secret, email: 'jane@example.com' });
    expect(verifyDeviceToken({ secret, email: 'john@example.com', token })).toBeNull();
    expect(verifyDeviceToken({ secret: `${secret}x`, email: 'jane@example.com', token })).toBeNull();
    const [, mac] = token.split('.');
    expect(verifyDeviceToken({ secret, email: 'jane@example.com', token: `${'A'.repeat(22)}.${mac}` })).toBeNull();
  });

  it('refuses malformed tokens', () => {
    for (const token of [undefined, '', 'abc', `${'a'.repeat(22)}.`, `.${'a'.repeat(43)}`]) {
      expect(verifyDeviceToken({ secret, email: 'jane@example.com', token })).toBeNull();
    }
  });

  it('is an HttpOnly, SameSite=Strict cookie, __Host- and Secure over https', () => {
    expect(deviceCookieHeader({ token: 't', secure: false })).toBe('leopard-device=t; Path=/; Max-Age=15552000; HttpOnly; SameSite=Strict');
    expect(deviceCookieHeader({ token: 't', secure: true })).toMatch(/^__Host-leopard-device=t; Path=\/; .*; Secure$/);
  });
});

import { describe, expect, it } from 'vitest';
import { lockoutMessage, throttleKey, throttleKeysFor } from './throttle-policy';

describe('sign-in throttle policy', () => {
  it('counts a browser new to the account against the account and its address', () => {
    expect(throttleKeysFor({ email: 'Jane@Example.com', address: '10.0.0.1' }).map((k) => k.key)).toEqual([
      'account:jane@example.com',
      'address:10.0.0.1',
    ]);
  });

  it('counts a browser that signed in to the account before only against that browser', () => {
    expect(throttleKeysFor({ email: 'jane@example.com', address: '10.0.0.1', deviceId: 'AbC' })).toEqual([
      { kind: 'device', key: 'device:abc' },
    ]);
  });

  it('keys accounts case-insensitively', () => {
    expect(throttleKey('account', ' Jane@Example.COM ')).toBe(throttleKey('account', 'jane@example.com'));
  });

  it('says when to try again, in whole minutes rounded up', () => {
    expect(lockoutMessage('account', 14 * 60_000 + 1)).toBe(
      'Too many failed sign-ins to this account. Try again in 15 minutes, or sign in from a browser you have signed in from before.',
    );
    expect(lockoutMessage('address', 30_000)).toBe('Too many failed sign-ins from your network. Try again in 1 minute.');
    expect(lockoutMessage('device', 2 * 60_000)).toBe('Too many failed sign-ins from this browser. Try again in 2 minutes.');
  });
});

import { describe, expect, it } from 'vitest';
import {
  extraAuthorizationParams,
  isLoopbackHttpIssuer,
  judgeRefusal,
  nextRefreshInMs,
  waitsForSignIn,
  providerPreset,
  refreshDue,
  secretExpiry,
} from './oauth-sign-in';

describe('OAuth2 sign-in rules', () => {
  it('the Microsoft 365 preset is a custom provider filled in for the tenant, with Exchange Online servers and scopes', () => {
    const preset = providerPreset('microsoft', 'contoso.onmicrosoft.com');
    expect(preset.issuerUrl).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0');
    expect(preset.imap).toEqual({ host: 'outlook.office365.com', port: 993, useSsl: true });
    expect(preset.smtp).toEqual({ host: 'smtp.office365.com', port: 587, security: 'starttls' });
    expect(preset.scopes.split(' ')).toEqual(
      expect.arrayContaining(['offline_access', 'https://outlook.office.com/IMAP.AccessAsUser.All', 'https://outlook.office.com/SMTP.Send']),
    );
  });

  it('the Google preset asks for offline access with consent, so Google issues a refresh token', () => {
    const preset = providerPreset('google');
    expect(preset.imap.host).toBe('imap.gmail.com');
    expect(preset.smtp).toEqual({ host: 'smtp.gmail.com', port: 465, security: 'tls' });
    expect(preset.scopes).toContain('https://mail.google.com/');
    expect(extraAuthorizationParams('google', preset.scopes)).toEqual({ access_type: 'offline', prompt: 'consent' });
  });

  it('offline_access is asked for with prompt=consent, which OpenID providers require before they issue a refresh token', () => {
    expect(extraAuthorizationParams('custom', 'openid email offline_access')).toEqual({ prompt: 'consent' });
    expect(extraAuthorizationParams('custom', 'openid email')).toEqual({});
  });

  it('a token is renewed 20 seconds before it expires, and one without an expiry is renewed at once', () => {
    const now = new Date('2026-12-01T10:00:00Z');
    expect(refreshDue(new Date('2026-12-01T10:00:30Z'), now)).toBe(false);
    expect(refreshDue(new Date('2026-12-01T10:00:15Z'), now)).toBe(true);
    expect(refreshDue(null, now)).toBe(true);
    expect(nextRefreshInMs(new Date('2026-12-01T10:01:00Z'), now)).toBe(40_000);
    expect(nextRefreshInMs(new Date('2026-12-01T10:00:01Z'), now)).toBe(5_000);
  });

  it('a revoked grant or an expired client secret needs Reconnect, in the provider\'s words; a busy provider is retried', () => {
    expect(judgeRefusal({ error: 'invalid_grant', description: 'grant request is invalid' })).toEqual({
      kind: 'reconnect_needed',
      words: 'invalid_grant: grant request is invalid',
    });
    expect(judgeRefusal({ error: 'invalid_client', description: 'AADSTS7000222: The provided client secret keys are expired.' }).kind).toBe('reconnect_needed');
    expect(judgeRefusal({ error: 'temporarily_unavailable' })).toEqual({ kind: 'retry', words: 'temporarily_unavailable' });
  });

  it('the client secret warns 14 days ahead and says when it has expired', () => {
    const today = new Date('2026-12-01T12:00:00Z');
    expect(secretExpiry('Contoso', '2026-12-16', today)).toBeNull();
    expect(secretExpiry('Contoso', '2026-12-15', today)).toMatchObject({ kind: 'expiring', days: 14 });
    expect(secretExpiry('Contoso', '2026-12-02', today)?.text).toContain('in 1 day');
    expect(secretExpiry('Contoso', '2026-12-01', today)).toMatchObject({ kind: 'expired' });
    expect(secretExpiry('Contoso', null, today)).toBeNull();
  });

  it('mail of a mailbox waiting for its sign-in is retried, while a setting that cannot work fails for good', () => {
    expect(waitsForSignIn('OAUTH_PROVIDER')).toBe(true);
    expect(waitsForSignIn('OAUTH_RECONNECT_NEEDED')).toBe(true);
    expect(waitsForSignIn('VALIDATION')).toBe(false);
  });

  it('plain http is allowed only for a provider on this machine', () => {
    expect(isLoopbackHttpIssuer('http://127.0.0.1:4000')).toBe(true);
    expect(isLoopbackHttpIssuer('http://idp.example.com')).toBe(false);
    expect(isLoopbackHttpIssuer('https://accounts.google.com')).toBe(false);
  });
});

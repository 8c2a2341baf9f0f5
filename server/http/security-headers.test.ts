import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, newNonce, securityHeaders } from './security-headers';

describe('security headers', () => {
  it('lets only scripts with this response nonce run, and no page be framed', () => {
    const csp = contentSecurityPolicy({ nonce: 'abc123', https: false, dev: false });
    expect(csp).toContain("script-src 'self' 'nonce-abc123' 'strict-dynamic'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'self'");
  });

  it('allows eval only on the dev server', () => {
    expect(contentSecurityPolicy({ nonce: 'n', https: false, dev: true })).toContain("'strict-dynamic' 'unsafe-eval'");
  });

  it('sends nosniff, a Referrer-Policy and X-Frame-Options, and HSTS only over https', () => {
    const plain = securityHeaders({ nonce: 'n', https: false, dev: false });
    expect(plain).toMatchObject({ 'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' });
    expect(plain).not.toHaveProperty('Strict-Transport-Security');
    expect(plain['Content-Security-Policy']).not.toContain('upgrade-insecure-requests');

    const secure = securityHeaders({ nonce: 'n', https: true, dev: false });
    expect(secure['Strict-Transport-Security']).toBe('max-age=31536000; includeSubDomains');
    expect(secure['Content-Security-Policy']).toContain('upgrade-insecure-requests');
  });

  it('makes a new unguessable nonce for every response', () => {
    const nonces = new Set(Array.from({ length: 100 }, newNonce));
    expect(nonces.size).toBe(100);
    expect([...nonces][0]).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  });
});

import { describe, expect, it } from 'vitest';
import { isForeignOrigin } from './request-origin';

const publicUrl = 'https://leopard.example.com';
const base = { origin: null, secFetchSite: null, host: 'leopard.example.com', publicUrl };

describe('foreign origins', () => {
  it('accepts requests from our own pages, by PUBLIC_URL or by the host the browser used', () => {
    expect(isForeignOrigin({ ...base, origin: 'https://leopard.example.com', secFetchSite: 'same-origin' })).toBe(false);
    expect(isForeignOrigin({ ...base, origin: 'http://127.0.0.1:3000', host: '127.0.0.1:3000' })).toBe(false);
  });

  it('accepts a request that no browser page made (no Origin, no Sec-Fetch-Site)', () => {
    expect(isForeignOrigin(base)).toBe(false);
  });

  it('refuses another site, a sibling subdomain, and an opaque origin', () => {
    expect(isForeignOrigin({ ...base, origin: 'https://evil.example' })).toBe(true);
    expect(isForeignOrigin({ ...base, origin: 'https://other.example.com', secFetchSite: 'same-site' })).toBe(true);
    expect(isForeignOrigin({ ...base, origin: 'null' })).toBe(true);
  });

  it('refuses a cross-site request even when it carries no Origin', () => {
    expect(isForeignOrigin({ ...base, secFetchSite: 'cross-site' })).toBe(true);
  });
});

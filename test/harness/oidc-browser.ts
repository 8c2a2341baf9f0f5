// Walks the test provider's sign-in and consent pages as a browser would (cookies, redirects, form posts), for db
// and imap tier tests that need a connected OAuth2 mailbox without chromium. The e2e tier does the same in chromium.
export type ProviderSignIn = { email: string; password: string };

class CookieJar {
  private readonly cookies = new Map<string, string>();
  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * From the authorization URL Leopard made to the URL the provider sends the browser back to (the callback with
 * code and state), signing in and allowing access on the way. Stops at the first URL outside the provider.
 */
export async function signInAtProvider(authorizationUrl: string, user: ProviderSignIn): Promise<URL> {
  const jar = new CookieJar();
  const issuerOrigin = new URL(authorizationUrl).origin;
  let url = new URL(authorizationUrl);
  let method: 'GET' | 'POST' = 'GET';
  let body: string | undefined;
  for (let step = 0; step < 20; step++) {
    if (url.origin !== issuerOrigin) return url;
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: { cookie: jar.header(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body,
    });
    jar.store(res);
    method = 'GET';
    body = undefined;
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url);
      continue;
    }
    const html = await res.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`the provider answered ${res.status} without a form or redirect: ${html.slice(0, 300)}`);
    url = new URL(action, url);
    method = 'POST';
    body = action.endsWith('/login') ? new URLSearchParams({ login: user.email, password: user.password }).toString() : '';
  }
  throw new Error('too many steps at the provider');
}

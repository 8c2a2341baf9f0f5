// A real OpenID Connect / OAuth 2.0 authorization server for tests: the `oidc-provider` package (certified),
// on a loopback port, not a hand-written fake. It has
//   - users to sign in as, on its own login and consent pages (plain HTML forms Playwright can fill),
//   - the client Leopard registers as (authorization code + PKCE, refresh tokens with offline_access),
//   - a second client for the mail servers, which introspect Leopard's access tokens (Dovecot's oauth2 passdb,
//     test/harness/smtp-server.ts) the way Exchange Online and Gmail check theirs,
//   - refresh token rotation on every use (a used refresh token presented again revokes the whole grant, as
//     providers that rotate do), a configurable access token lifetime, a count of token requests, and grant
//     revocation (what "remove app access" or a changed password does at a real provider).
//   const idp = await startOidcProvider({ redirectUris: ['http://127.0.0.1:3000/api/oauth/callback'] });
//   idp.addUser('alice@leopard.test', 'alicepass');
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import Provider, { type ProviderContext } from 'oidc-provider';
import { freePorts } from './free-port';

export type TokenRequest = { at: Date; grantType: string; status: number; error?: string };

export type OidcProviderHarness = {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The mail servers' credentials for the introspection endpoint. */
  readonly introspection: { url: string; clientId: string; clientSecret: string; urlWithCredentials: string };
  addUser(email: string, password: string): void;
  /** Every POST /token, in order: authorization code exchanges and refreshes. */
  readonly tokenRequests: TokenRequest[];
  refreshRequests(): TokenRequest[];
  /** Revokes every grant of this user (consent withdrawn): its refresh and access tokens stop working. */
  revokeGrants(email: string): Promise<number>;
  /** Introspects a token as a mail server would; null when it is not active. */
  introspect(token: string): Promise<{ sub: string; email?: string } | null>;
  close(): Promise<void>;
};

export type StartOidcProviderOptions = {
  /** Where the provider may send the browser back (Leopard's PUBLIC_URL + /api/oauth/callback). */
  redirectUris: string[];
  /** Access token lifetime. Default 3600 s; the imap tier uses 60 s. */
  accessTokenTtlSeconds?: number;
};

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

async function readForm(ctx: ProviderContext): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startOidcProvider(options: StartOidcProviderOptions): Promise<OidcProviderHarness> {
  const [port] = (await freePorts(1)) as [number];
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'leopard';
  const clientSecret = randomBytes(16).toString('hex');
  const mailServerId = 'mail-servers';
  const mailServerSecret = randomBytes(16).toString('hex');
  const users = new Map<string, string>();
  const tokenRequests: TokenRequest[] = [];
  const grantsByAccount = new Map<string, Set<string>>();

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
      {
        client_id: mailServerId,
        client_secret: mailServerSecret,
        redirect_uris: [],
        grant_types: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    cookies: { keys: [randomBytes(32).toString('hex')] },
    // The user's address in the id token and userinfo, and in the access token (seen on introspection), as
    // Dovecot's username_attribute compares it with the XOAUTH2 user.
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    scopes: ['openid', 'offline_access', 'email'],
    async findAccount(_ctx: unknown, sub: string) {
      return { accountId: sub, async claims() { return { sub, email: sub, email_verified: true }; } };
    },
    async extraTokenClaims(_ctx: unknown, token: { kind: string; accountId?: string }) {
      return token.kind === 'AccessToken' && token.accountId ? { email: token.accountId } : undefined;
    },
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
    },
    pkce: { required: () => true },
    // Every refresh returns a new refresh token and consumes the old one.
    rotateRefreshToken: true,
    ttl: {
      AccessToken: options.accessTokenTtlSeconds ?? 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      Interaction: 600,
      Session: 3600,
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  });

  provider.on('access_token.saved', (token: { grantId?: string; accountId?: string }) => {
    if (!token.grantId || !token.accountId) return;
    const set = grantsByAccount.get(token.accountId) ?? new Set<string>();
    set.add(token.grantId);
    grantsByAccount.set(token.accountId, set);
  });
  // Its own errors are answered to the client; the test reads them there.
  provider.on('server_error', () => {});

  provider.use(async (ctx, next) => {
    if (ctx.path === '/token' && ctx.method === 'POST') {
      const entry: TokenRequest = { at: new Date(), grantType: '', status: 0 };
      tokenRequests.push(entry);
      await next();
      entry.status = ctx.status;
      const body = ctx.body as { error?: string } | undefined;
      if (body && typeof body === 'object' && typeof body.error === 'string') entry.error = body.error;
      entry.grantType = (ctx as unknown as { oidc?: { params?: { grant_type?: string } } }).oidc?.params?.grant_type ?? '';
      return;
    }
    const match = /^\/interaction\/([^/]+)(\/(login|confirm))?$/.exec(ctx.path);
    if (!match) return next();
    ctx.set('cache-control', 'no-store');
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const action = match[3];
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      if (details.prompt.name === 'login') {
        ctx.body = page(
          'Sign in to the test provider',
          `<form method="post" action="/interaction/${details.uid}/login">
             <label>Email <input name="login" type="email" autocomplete="username" required></label>
             <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
             <button type="submit">Sign in</button>
           </form>`,
        );
      } else {
        ctx.body = page(
          'Allow access',
          `<p>${escapeHtml(details.params.client_id ?? '')} asks for: ${escapeHtml(details.params.scope ?? '')}</p>
           <form method="post" action="/interaction/${details.uid}/confirm"><button type="submit">Allow</button></form>`,
        );
      }
      return;
    }
    if (ctx.method === 'POST' && action === 'login') {
      const form = await readForm(ctx);
      const login = (form.get('login') ?? '').trim().toLowerCase();
      if (!users.has(login) || users.get(login) !== form.get('password')) {
        ctx.type = 'html';
        ctx.status = 200;
        ctx.body = page('Sign in to the test provider', '<p role="alert">Wrong email or password.</p>');
        return;
      }
      await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
      return;
    }
    if (ctx.method === 'POST' && action === 'confirm') {
      const accountId = details.session?.accountId;
      if (!accountId) throw new Error('consent without a signed-in user');
      const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId: details.params.client_id! });
      if (!grant) throw new Error('grant not found');
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
      const grantId = await grant.save();
      await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    return next();
  });

  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });

  const introspectionUrl = `${issuer}/token/introspection`;
  const basic = `Basic ${Buffer.from(`${mailServerId}:${mailServerSecret}`).toString('base64')}`;

  return {
    issuer,
    clientId,
    clientSecret,
    introspection: {
      url: introspectionUrl,
      clientId: mailServerId,
      clientSecret: mailServerSecret,
      urlWithCredentials: `http://${mailServerId}:${mailServerSecret}@127.0.0.1:${port}/token/introspection`,
    },
    addUser(email, password) {
      users.set(email.toLowerCase(), password);
    },
    tokenRequests,
    refreshRequests: () => tokenRequests.filter((r) => r.grantType === 'refresh_token'),
    async revokeGrants(email) {
      const ids = grantsByAccount.get(email.toLowerCase()) ?? new Set<string>();
      let revoked = 0;
      for (const id of ids) {
        const grant = await provider.Grant.find(id);
        if (grant) {
          await grant.destroy();
          revoked += 1;
        }
      }
      ids.clear();
      return revoked;
    },
    async introspect(token) {
      const res = await fetch(introspectionUrl, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
      const body = (await res.json()) as { active?: boolean; sub?: string; email?: string };
      return body.active ? { sub: body.sub ?? '', email: body.email } : null;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

// Sessions that really end: signing in and out through next-auth itself (its request handler, the
// options the app serves), then calling the tRPC API with the cookies a browser would have kept.
import NextAuth from 'next-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApiWithHeaders } from '../../test/harness/api-client';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { closeDb } from '../db/client';
import { resetEnvForTests } from '../env';
import { createUser, updateUser } from '../services/users';
import { MAX_FAILURES } from './throttle-policy';
import { authOptions, CLIENT_ADDRESS_HEADER } from './options';

let testDb: TestDatabase;
let adminId: string;

/** What next-auth's API handler writes to; keeps the status, headers and body. */
class RecordedResponse {
  statusCode = 200;
  readonly headers = new Map<string, string | string[]>();
  body: unknown;
  status(code: number) {
    this.statusCode = code;
    return this;
  }
  setHeader(name: string, value: string | string[]) {
    this.headers.set(name.toLowerCase(), value);
    return this;
  }
  getHeader(name: string) {
    return this.headers.get(name.toLowerCase());
  }
  json(body: unknown) {
    this.body = body;
    return this;
  }
  send(body: unknown) {
    this.body = body;
    return this;
  }
  end() {
    return this;
  }
}

/**
 * One browser: a cookie jar that follows Set-Cookie answers of next-auth's own request handler
 * (its Node API form; the app router form needs a running Next.js), given the app's options.
 */
class Browser {
  readonly jar = new Map<string, string>();
  constructor(readonly address: string) {}

  cookieHeader(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private keep(setCookie: string) {
    const [pair, ...attributes] = setCookie.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = decodeURIComponent(pair.slice(eq + 1).trim());
    if (value === '' || attributes.some((a) => a.trim().toLowerCase() === 'max-age=0')) this.jar.delete(name);
    else this.jar.set(name, value);
  }

  private async auth(path: string, body?: Record<string, string>): Promise<RecordedResponse> {
    const deviceCookies: string[] = [];
    const res = new RecordedResponse();
    const req = {
      method: body ? 'POST' : 'GET',
      query: { nextauth: path.split('/') },
      body: body ?? {},
      cookies: Object.fromEntries(this.jar),
      headers: { host: 'localhost', cookie: this.cookieHeader(), [CLIENT_ADDRESS_HEADER]: this.address },
    };
    await NextAuth(req as never, res as never, authOptions({ onDeviceCookie: (c) => deviceCookies.push(c) }));
    const set = res.getHeader('set-cookie') ?? [];
    for (const cookie of [...(Array.isArray(set) ? set : [set]), ...deviceCookies]) this.keep(cookie);
    return res;
  }

  private async csrfToken(): Promise<string> {
    const response = await this.auth('csrf');
    return (response.body as { csrfToken: string }).csrfToken;
  }

  /** The error message the sign-in form would show, or null when signed in. */
  async signIn(email: string, password: string): Promise<string | null> {
    const csrfToken = await this.csrfToken();
    const response = await this.auth('callback/credentials', { email, password, csrfToken, json: 'true' });
    const { url } = response.body as { url: string };
    return new URL(url).searchParams.get('error');
  }

  async signOut(): Promise<void> {
    const csrfToken = await this.csrfToken();
    await this.auth('signout', { csrfToken, json: 'true' });
  }

  /** What next-auth's own session endpoint says about this browser's cookie. */
  async nextAuthSession(): Promise<unknown> {
    return (await this.auth('session')).body;
  }

  async me(cookie = this.cookieHeader()): Promise<number> {
    return (await callApiWithHeaders({ cookie }, 'session.me')).status;
  }
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  const admin = await createUser({ db: testDb.db, actor: null, input: { email: 'admin@example.test', name: 'Admin', role: 'admin', password: 'admin-secret-1' } });
  adminId = admin.id;
});

afterAll(async () => {
  await closeDb();
  await testDb.drop();
});

async function newAgent(email: string, role: 'agent' | 'admin' = 'agent') {
  return createUser({ db: testDb.db, actor: null, input: { email, name: email, role, password: 'agent-secret-1' } });
}

const admin = () => ({ id: adminId, email: 'admin@example.test' });

describe('sessions end when they should', () => {
  it('refuses a session cookie copied before sign-out once its browser has signed out, and keeps other browsers signed in', async () => {
    await newAgent('copied@example.test');
    const laptop = new Browser('10.0.0.1');
    const phone = new Browser('10.0.0.2');
    expect(await laptop.signIn('copied@example.test', 'agent-secret-1')).toBeNull();
    expect(await phone.signIn('copied@example.test', 'agent-secret-1')).toBeNull();
    const copy = new Browser('198.51.100.7');
    for (const [name, value] of laptop.jar) copy.jar.set(name, value);
    expect(await laptop.me()).toBe(200);

    await laptop.signOut();

    expect(await copy.me()).toBe(401);
    expect(await copy.nextAuthSession()).toEqual({});
    expect(await phone.me()).toBe(200);
    expect(await phone.nextAuthSession()).toMatchObject({ user: { email: 'copied@example.test' } });
  });

  it('refuses a session from before a password reset', async () => {
    const user = await newAgent('reset@example.test');
    const browser = new Browser('10.0.1.1');
    await browser.signIn('reset@example.test', 'agent-secret-1');
    expect(await browser.me()).toBe(200);

    await updateUser({ db: testDb.db, actor: admin(), input: { id: user.id, password: 'a-new-secret-2' } });

    expect(await browser.me()).toBe(401);
    expect(await browser.signIn('reset@example.test', 'a-new-secret-2')).toBeNull();
    expect(await browser.me()).toBe(200);
  });

  it('ends the sessions of a deactivated user', async () => {
    const user = await newAgent('deactivated@example.test');
    const browser = new Browser('10.0.2.1');
    await browser.signIn('deactivated@example.test', 'agent-secret-1');
    const copied = browser.cookieHeader();

    await updateUser({ db: testDb.db, actor: admin(), input: { id: user.id, active: false } });
    await updateUser({ db: testDb.db, actor: admin(), input: { id: user.id, active: true } });

    expect(await browser.me(copied)).toBe(401);
  });

  it('ends the sessions of a demoted admin, who signs in again as an agent', async () => {
    const user = await newAgent('demoted@example.test', 'admin');
    const browser = new Browser('10.0.3.1');
    await browser.signIn('demoted@example.test', 'agent-secret-1');
    expect((await callApiWithHeaders({ cookie: browser.cookieHeader() }, 'users.list')).status).toBe(200);

    await updateUser({ db: testDb.db, actor: admin(), input: { id: user.id, role: 'agent' } });

    expect(await browser.me()).toBe(401);
    await browser.signIn('demoted@example.test', 'agent-secret-1');
    expect((await callApiWithHeaders({ cookie: browser.cookieHeader() }, 'users.list')).status).toBe(403);
  });

  it("lets the owner's browser sign in while strangers' guesses have locked the account for new browsers", async () => {
    await newAgent('owner@example.test');
    const owners = new Browser('10.0.4.1');
    expect(await owners.signIn('owner@example.test', 'agent-secret-1')).toBeNull();
    await owners.signOut();

    for (let i = 0; i < MAX_FAILURES.account + 3; i++) {
      await new Browser(`203.0.113.${i}`).signIn('owner@example.test', `guess-${i}`);
    }
    expect(await new Browser('10.0.4.2').signIn('owner@example.test', 'agent-secret-1')).toBe(
      'Too many failed sign-ins to this account. Try again in 15 minutes, or sign in from a browser you have signed in from before.',
    );
    expect(await owners.signIn('owner@example.test', 'agent-secret-1')).toBeNull();
    expect(await owners.me()).toBe(200);
  });
});

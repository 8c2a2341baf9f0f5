// OAuth2 providers given by environment variables: kept in step as rows of their own, shown but not editable, with
// the secret read from the environment (never stored).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAdmin } from '../../test/harness/mailboxes';
import { createTestDatabase, type TestDatabase } from '../../test/harness/test-database';
import { oauthProviders } from '../db/schema';
import type { AuditActor } from './audit';
import { listOAuthProviders, loadProviderSecrets, saveOAuthProvider } from './oauth-providers';

let testDb: TestDatabase;
let admin: AuditActor;
const key = randomBytes(32);
const config = {
  OAUTH_MICROSOFT_TENANT: 'contoso.onmicrosoft.com',
  OAUTH_MICROSOFT_CLIENT_ID: 'ms-client-id',
  OAUTH_MICROSOFT_CLIENT_SECRET: 'ms-client-secret-from-env',
  OAUTH_MICROSOFT_SECRET_EXPIRES_ON: undefined,
  OAUTH_GOOGLE_CLIENT_ID: undefined,
  OAUTH_GOOGLE_CLIENT_SECRET: undefined,
};

beforeAll(async () => {
  testDb = await createTestDatabase();
  admin = await seedAdmin(testDb.db);
});

afterAll(async () => {
  await testDb?.drop();
});

describe('OAuth providers from the environment', () => {
  it('appear once, as the Microsoft 365 preset for the tenant, with the secret left in the environment', async () => {
    await listOAuthProviders({ db: testDb.db, config });
    const [provider] = await listOAuthProviders({ db: testDb.db, config: { ...config, OAUTH_MICROSOFT_CLIENT_ID: 'ms-client-id-2' } });
    expect(provider).toMatchObject({
      kind: 'microsoft',
      issuerUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0',
      clientId: 'ms-client-id-2',
      hasClientSecret: true,
      fromEnvironment: true,
    });
    const rows = await testDb.db.select().from(oauthProviders);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.clientSecretCiphertext).toBeNull();
    const secrets = await loadProviderSecrets({ db: testDb.db, id: provider!.id, key, config });
    expect(secrets.clientSecret).toBe('ms-client-secret-from-env');
  });

  it('cannot be edited in CRM Admin', async () => {
    const [provider] = await listOAuthProviders({ db: testDb.db, config });
    await expect(
      saveOAuthProvider({ db: testDb.db, actor: admin, key, input: { id: provider!.id, name: 'x', kind: 'microsoft', tenantId: 't', issuerUrl: '', clientId: 'y', scopes: 'openid' } }),
    ).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('OAUTH_MICROSOFT_* environment variables') });
  });

  it('a custom provider must use https unless it runs on this machine', async () => {
    await expect(
      saveOAuthProvider({ db: testDb.db, actor: admin, key, input: { name: 'Plain', kind: 'custom', issuerUrl: 'http://idp.example.com', clientId: 'c', clientSecret: 's', scopes: 'openid' } }),
    ).rejects.toMatchObject({ code: 'VALIDATION', fieldErrors: { issuerUrl: 'The issuer URL must use https.' } });
  });
});

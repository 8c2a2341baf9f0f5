// All configuration, validated once, shared by the web server, the worker and the scripts.
// Nothing else in the project reads process.env. Invalid values stop start-up with one clear
// line per variable. Secrets that a one-command local start cannot ask for (the session secret,
// the mailbox-password key) are generated once into the data folder when unset; production
// deployments set them so that every web and worker instance shares them.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const port = (fallback: number) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(65535).default(fallback));
const positiveMs = (fallback: number) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(100).default(fallback));

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .optional(),
  ),
  DATA_DIR: optionalString,
  EMBEDDED_PG_PORT: port(54329),
  HOST: z.preprocess(emptyToUndefined, z.string().default('0.0.0.0')),
  PORT: port(3000),
  TRUST_PROXY: z.preprocess(emptyToUndefined, z.enum(['true', 'false', '1', '0']).default('false')).transform((v) => v === 'true' || v === '1'),
  PUBLIC_URL: z.preprocess(emptyToUndefined, z.url('must be a URL such as https://leopard.example.com').optional()),
  AUTH_SECRET: z.preprocess(emptyToUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
  SECRET_KEY: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64 encoded (openssl rand -base64 32)')
      .optional(),
  ),
  ADMIN_EMAIL: z.preprocess(emptyToUndefined, z.email('must be an email address').default('admin@leopard.local')),
  ADMIN_PASSWORD: z.preprocess(emptyToUndefined, z.string().min(8, 'must be at least 8 characters').optional()),
  WORKER_PORT: port(3001),
  WORKER_ID: optionalString,
  POLL_INTERVAL_MS: positiveMs(60_000),
  // POP3 has no push: how often a POP3 mailbox is polled (a processor's own poll interval overrides it).
  POP3_POLL_INTERVAL_MS: positiveMs(60_000),
  LEASE_TTL_MS: positiveMs(15_000),
  RESEND_API_KEY: optionalString,
  RESEND_BASE_URL: z.preprocess(emptyToUndefined, z.url().optional()),
  SMTP_URL: z.preprocess(emptyToUndefined, z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional()),
  AUTO_REPLY_MAX_PER_SENDER_PER_HOUR: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).default(3)),
  // Bounds the auto-replies one mailbox sends in an hour however many senders are forged (backscatter).
  AUTO_REPLY_MAX_PER_PROCESSOR_PER_HOUR: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).default(60)),
  // OAuth2 app registrations given by the environment instead of CRM Admin → OAuth providers (see README,
  // "Mailboxes that sign in with OAuth2"). Set a client id to enable one; the secret stays in the environment.
  OAUTH_MICROSOFT_TENANT: optionalString,
  OAUTH_MICROSOFT_CLIENT_ID: optionalString,
  OAUTH_MICROSOFT_CLIENT_SECRET: optionalString,
  OAUTH_MICROSOFT_SECRET_EXPIRES_ON: z.preprocess(emptyToUndefined, z.iso.date('must be a date such as 2027-06-30').optional()),
  OAUTH_GOOGLE_CLIENT_ID: optionalString,
  OAUTH_GOOGLE_CLIENT_SECRET: optionalString,
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
});

export type Env = z.infer<typeof schema> & {
  dataDir: string;
  authSecret: string;
  secretKey: Buffer;
  publicUrl: string;
};

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

export const projectRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

// Next.js bundles server code from another folder, so import.meta.url is not the project root
// there; the process's working directory is (npm scripts and server.ts run from it).
function resolveRoot(): string {
  return existsSync(path.join(process.cwd(), 'package.json')) ? process.cwd() : projectRoot;
}

type GeneratedSecrets = { authSecret: string; secretKey: string };

function loadGeneratedSecrets(dataDir: string): GeneratedSecrets {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as GeneratedSecrets;
  mkdirSync(dataDir, { recursive: true });
  const secrets = { authSecret: randomBytes(32).toString('base64'), secretKey: randomBytes(32).toString('base64') };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  chmodSync(file, 0o600);
  return secrets;
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = schema.safeParse(source);
  if (!result.success) {
    throw new EnvError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const raw = result.data;
  const dataDir = path.resolve(resolveRoot(), raw.DATA_DIR ?? '.data');
  if (raw.NODE_ENV === 'production' && raw.DATABASE_URL && (!raw.AUTH_SECRET || !raw.SECRET_KEY)) {
    // With an external database, web and worker may run on different machines:
    // secrets generated into one machine's data folder would not reach the others.
    const missing = [!raw.AUTH_SECRET && 'AUTH_SECRET', !raw.SECRET_KEY && 'SECRET_KEY'].filter(Boolean);
    throw new EnvError(missing.map((name) => `${name}: required in production when DATABASE_URL is set`));
  }
  if (raw.OAUTH_MICROSOFT_CLIENT_ID && !raw.OAUTH_MICROSOFT_TENANT) {
    throw new EnvError(['OAUTH_MICROSOFT_TENANT: required with OAUTH_MICROSOFT_CLIENT_ID (the directory id or domain of the tenant)']);
  }
  const generated = raw.AUTH_SECRET && raw.SECRET_KEY ? null : loadGeneratedSecrets(dataDir);
  return {
    ...raw,
    dataDir,
    authSecret: raw.AUTH_SECRET ?? generated!.authSecret,
    secretKey: Buffer.from(raw.SECRET_KEY ?? generated!.secretKey, 'base64'),
    publicUrl: raw.PUBLIC_URL ?? `http://localhost:${raw.PORT}`,
  };
}

let cached: Env | undefined;

export function env(): Env {
  if (!cached) {
    cached = parseEnv(process.env);
    // next-auth 4 reads these two from process.env itself.
    process.env.NEXTAUTH_URL ??= cached.publicUrl;
    process.env.NEXTAUTH_SECRET ??= cached.authSecret;
  }
  return cached;
}

/** Tests and the start script change the environment before the first call; this forgets it. */
export function resetEnvForTests(): void {
  cached = undefined;
}

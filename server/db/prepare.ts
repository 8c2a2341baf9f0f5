// Start-up of any Leopard process: pick the database (DATABASE_URL, or the embedded one),
// apply migrations, seed first-start data. Returns how to stop what it started.
import { env, resetEnvForTests } from '../env';
import { seedDefaults } from '../services/bootstrap';
import { createPool } from './client';
import { startEmbeddedPostgres } from './embedded';
import { migrateDatabase } from './migrate';

export type PreparedDatabase = { url: string; embedded: boolean; stop: () => Promise<void> };

export async function prepareDatabase(log: (message: string) => void): Promise<PreparedDatabase> {
  const config = env();
  let url = config.DATABASE_URL;
  let stop = async () => {};
  if (!url) {
    const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.EMBEDDED_PG_PORT, log });
    url = embedded.url;
    stop = embedded.stop;
    // Child processes and the Next.js bundles in this process find the database the same way.
    process.env.DATABASE_URL = url;
    resetEnvForTests();
    env();
  }
  await migrateDatabase(url);
  const pool = createPool(url, { max: 1, applicationName: 'leopard-seed' });
  try {
    const { createdAdmin } = await seedDefaults({
      db: pool.db,
      adminEmail: config.ADMIN_EMAIL,
      adminPassword: config.ADMIN_PASSWORD,
    });
    if (createdAdmin?.generatedPassword) {
      // Printed once, straight to the console and never to the structured log.
      process.stdout.write(
        `\n  Leopard admin created. Sign in as ${createdAdmin.email} with password ${createdAdmin.generatedPassword}\n` +
          '  (shown only this once; set ADMIN_PASSWORD before the first start to choose it)\n\n',
      );
    } else if (createdAdmin) {
      log(`Admin ${createdAdmin.email} created with the password from ADMIN_PASSWORD.`);
    }
  } finally {
    await pool.sql.end({ timeout: 5 });
  }
  return { url, embedded: !config.DATABASE_URL, stop };
}

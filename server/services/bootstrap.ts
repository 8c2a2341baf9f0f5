// First-start data: the admin account, case types and priorities. Safe to run on every start:
// rows that exist are left alone, so an admin's later renames survive restarts.
import { count, eq, sql } from 'drizzle-orm';
import { generatePassword, hashPassword } from '../auth/password';
import type { Database } from '../db/client';
import { casePriorities, caseTypes, users } from '../db/schema';

export const DEFAULT_CASE_TYPES = ['General', 'Customer service', 'Sales', 'Technical support'] as const;
export const DEFAULT_CASE_PRIORITIES = ['Low', 'Normal', 'High', 'Urgent'] as const;

export type SeedDefaultsOptions = {
  db: Database;
  adminEmail: string;
  adminPassword?: string;
};

export type SeedDefaultsResult = {
  /** Present when this run created the first admin; the password is shown once, only if generated. */
  createdAdmin?: { email: string; generatedPassword?: string };
};

export async function seedDefaults({ db, adminEmail, adminPassword }: SeedDefaultsOptions): Promise<SeedDefaultsResult> {
  return db.transaction(async (tx) => {
    // Two processes starting together must not both create the admin.
    await tx.execute(sql`select pg_advisory_xact_lock(7361002)`);

    const [{ value: typeCount }] = await tx.select({ value: count() }).from(caseTypes);
    if (typeCount === 0) {
      await tx.insert(caseTypes).values(
        DEFAULT_CASE_TYPES.map((name, position) => ({ name, position, isDefault: name === 'General' })),
      );
    }
    const [{ value: priorityCount }] = await tx.select({ value: count() }).from(casePriorities);
    if (priorityCount === 0) {
      await tx.insert(casePriorities).values(
        DEFAULT_CASE_PRIORITIES.map((name, position) => ({ name, position, isDefault: name === 'Normal' })),
      );
    }

    const [{ value: adminCount }] = await tx.select({ value: count() }).from(users).where(eq(users.role, 'admin'));
    if (adminCount > 0) return {};
    const password = adminPassword ?? generatePassword();
    await tx.insert(users).values({
      email: adminEmail.toLowerCase(),
      name: 'Administrator',
      role: 'admin',
      passwordHash: await hashPassword(password),
    });
    return { createdAdmin: { email: adminEmail.toLowerCase(), generatedPassword: adminPassword ? undefined : password } };
  });
}

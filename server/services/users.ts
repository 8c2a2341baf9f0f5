// Users: the people who sign in, and whom filters and cases are assigned to.
import { and, asc, count, eq, ne, sql } from 'drizzle-orm';
import { hashPassword } from '../auth/password';
import type { Role } from '../auth/session';
import type { Database } from '../db/client';
import { users } from '../db/schema';
import { AppError } from '../errors';
import { type AuditActor, recordAudit } from './audit';
import { endUserSessions } from './sessions';

export type UserSummary = { id: string; email: string; name: string; role: Role; active: boolean; createdAt: Date };

const summaryColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  active: users.active,
  createdAt: users.createdAt,
};

export async function listUsers({ db }: { db: Database }): Promise<UserSummary[]> {
  return db.select(summaryColumns).from(users).orderBy(asc(users.name), asc(users.email));
}

export type CreateUserOptions = {
  db: Database;
  actor: AuditActor | null;
  input: { email: string; name: string; role: Role; password: string };
};

export async function createUser({ db, actor, input }: CreateUserOptions): Promise<UserSummary> {
  const email = input.email.trim().toLowerCase();
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const [existing] = await tx.select({ id: users.id }).from(users).where(eq(sql`lower(${users.email})`, email));
    if (existing) {
      throw new AppError('CONFLICT', 'A user with this email already exists.', {
        fieldErrors: { email: 'A user with this email already exists.' },
      });
    }
    const [created] = await tx
      .insert(users)
      .values({ email, name: input.name.trim(), role: input.role, passwordHash })
      .returning(summaryColumns);
    await recordAudit({
      db: tx,
      actor,
      action: 'user.created',
      entityType: 'user',
      entityId: created.id,
      details: { email, role: input.role },
    });
    return created;
  });
}

export type UpdateUserOptions = {
  db: Database;
  actor: AuditActor;
  input: { id: string; name?: string; role?: Role; active?: boolean; password?: string };
};

export async function updateUser({ db, actor, input }: UpdateUserOptions): Promise<UserSummary> {
  const passwordHash = input.password ? await hashPassword(input.password) : undefined;
  return db.transaction(async (tx) => {
    // Serialise admin changes so two admins cannot demote each other at the same moment.
    await tx.execute(sql`select pg_advisory_xact_lock(7361003)`);
    const [current] = await tx.select().from(users).where(eq(users.id, input.id));
    if (!current) throw new AppError('NOT_FOUND', 'No such user.');
    const losesAdmin =
      current.role === 'admin' && current.active && (input.role === 'agent' || input.active === false);
    if (losesAdmin) {
      const [{ value: otherAdmins }] = await tx
        .select({ value: count() })
        .from(users)
        .where(and(eq(users.role, 'admin'), eq(users.active, true), ne(users.id, current.id)));
      if (otherAdmins === 0) {
        throw new AppError('CONFLICT', 'This is the last active admin: make another user an admin first.');
      }
    }
    const [updated] = await tx
      .update(users)
      .set({
        ...(input.name !== undefined && { name: input.name.trim() }),
        ...(input.role !== undefined && { role: input.role }),
        ...(input.active !== undefined && { active: input.active }),
        ...(passwordHash && { passwordHash }),
      })
      .where(eq(users.id, input.id))
      .returning(summaryColumns);
    // A new password, deactivation or demotion signs the user out everywhere (and closes their live
    // sockets): whoever held an old session, or knew the old password, must not keep its access.
    const demoted = current.role === 'admin' && input.role === 'agent';
    if (passwordHash || (current.active && input.active === false) || demoted) {
      await endUserSessions({ db: tx, userId: current.id });
    }
    await recordAudit({
      db: tx,
      actor,
      action: 'user.updated',
      entityType: 'user',
      entityId: updated.id,
      details: {
        ...(input.name !== undefined && { name: input.name }),
        ...(input.role !== undefined && { role: input.role }),
        ...(input.active !== undefined && { active: input.active }),
        ...(passwordHash && { passwordReset: true }),
      },
    });
    return updated;
  });
}

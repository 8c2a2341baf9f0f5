// Rows the ingest tests build on: case types and priorities with their defaults, users to assign, and
// email processors with filters. Written straight into the tables so these tests do not depend on the
// admin services' validation.
import { randomBytes } from 'node:crypto';
import type { Database } from '../../server/db/client';
import { casePriorities, caseTypes, emailProcessors, processorFilters, users } from '../../server/db/schema';

export type Catalog = {
  types: { general: string; sales: string };
  priorities: { normal: string; high: string };
  users: { agent: string; manager: string };
};

export async function seedCatalog(db: Database): Promise<Catalog> {
  const [general, sales] = await db
    .insert(caseTypes)
    .values([
      { name: 'General', position: 0, isDefault: true },
      { name: 'Sales', position: 1 },
    ])
    .returning({ id: caseTypes.id });
  const [normal, high] = await db
    .insert(casePriorities)
    .values([
      { name: 'Normal', position: 0, isDefault: true },
      { name: 'High', position: 1 },
    ])
    .returning({ id: casePriorities.id });
  const [agent, manager] = await db
    .insert(users)
    .values([
      { email: 'agent@acme.example', name: 'Agent', passwordHash: 'x', role: 'agent' },
      { email: 'manager@acme.example', name: 'Manager', passwordHash: 'x', role: 'agent' },
    ])
    .returning({ id: users.id });
  return {
    types: { general: general.id, sales: sales.id },
    priorities: { normal: normal.id, high: high.id },
    users: { agent: agent.id, manager: manager.id },
  };
}

export type FilterSpec = Partial<Omit<typeof processorFilters.$inferInsert, 'processorId'>>;

export type MailboxSpec = {
  emailAddress?: string;
  name?: string;
  autoReply?: boolean;
  uidValidity?: number | null;
  importUntilUid?: number | null;
  /** Defaults to one filter without a condition, which matches every message and sets nothing. */
  filters?: FilterSpec[];
};

export async function createMailbox(db: Database, spec: MailboxSpec = {}): Promise<{ processorId: string; emailAddress: string }> {
  const emailAddress = spec.emailAddress ?? `support-${randomBytes(4).toString('hex')}@acme.example`;
  const [processor] = await db
    .insert(emailProcessors)
    .values({
      emailAddress,
      name: spec.name ?? 'Acme Support',
      host: '127.0.0.1',
      port: 993,
      useSsl: true,
      login: emailAddress,
      passwordCiphertext: 'not-used-by-ingest',
      autoReply: spec.autoReply ?? false,
      uidValidity: spec.uidValidity === undefined ? 1 : spec.uidValidity,
      importUntilUid: spec.importUntilUid ?? null,
    })
    .returning({ id: emailProcessors.id });
  const filters = spec.filters ?? [{}];
  if (filters.length > 0) {
    await db.insert(processorFilters).values(filters.map((f) => ({ ...f, processorId: processor.id })));
  }
  return { processorId: processor.id, emailAddress };
}

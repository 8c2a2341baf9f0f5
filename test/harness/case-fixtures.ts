// Rows for workspace tests, written straight to the database: tests of the list, the case page and
// agents' actions should not depend on the mail intake to create their cases.
import { eq } from 'drizzle-orm';
import type { Database } from '../../server/db/client';
import { attachments, caseMessages, cases, contacts, emailProcessors } from '../../server/db/schema';

type CaseRow = typeof cases.$inferInsert;
type MessageRow = typeof caseMessages.$inferInsert;

export async function insertProcessor(db: Database, name = 'Support') {
  const [row] = await db
    .insert(emailProcessors)
    .values({
      emailAddress: `${name.toLowerCase().replace(/\W+/g, '-')}@example.test`,
      name,
      host: 'mail.example.test',
      port: 993,
      useSsl: true,
      login: 'support',
      passwordCiphertext: 'not-a-real-ciphertext',
      autoReply: false,
    })
    .returning();
  return row;
}

export async function insertContact(db: Database, values: Partial<typeof contacts.$inferInsert> & { email: string }) {
  const [row] = await db.insert(contacts).values(values).returning();
  return row;
}

export async function insertCase(db: Database, values: Partial<CaseRow> = {}) {
  const [row] = await db.insert(cases).values({ subject: 'Help', ...values }).returning();
  return row;
}

export async function insertMessage(db: Database, values: Partial<MessageRow> & { caseId: string }) {
  const [row] = await db
    .insert(caseMessages)
    .values({ direction: 'inbound', threadReason: 'new', fromAddress: 'jane@example.test', fromName: 'Jane Doe', ...values })
    .returning();
  return row;
}

export async function insertAttachment(
  db: Database,
  values: Partial<typeof attachments.$inferInsert> & { caseMessageId: string; content: Buffer },
) {
  const [row] = await db
    .insert(attachments)
    .values({ filename: 'file.bin', size: values.content.length, ...values })
    .returning();
  return row;
}

/** A case whose mail created its contact, as the intake does for an unknown sender. */
export async function insertCaseWithCreatedContact(db: Database, email: string, values: Partial<CaseRow> = {}) {
  const created = await insertCase(db, values);
  const contact = await insertContact(db, { email, firstName: 'Jane', createdByCaseId: created.id });
  const [linked] = await db.update(cases).set({ contactId: contact.id }).where(eq(cases.id, created.id)).returning();
  return { case: linked, contact };
}

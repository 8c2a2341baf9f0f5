// Agents answer the customer from the case: replies (emailed) and internal notes (never emailed).
//
// Contract (used by server/api/routers/replies.ts and the case page's composer):
//   replyDefaults({ db, caseId, messageId?, actorId? }) → what the composer starts from: the message answered
//     (messageId, else the case's latest inbound mail), To (its Reply-To, else From), CC (everyone else on it
//     minus our own mailboxes), subject "[LC0001234] Re: …", the quote of that message, the processor's
//     signature with {agent}/{case}/{mailbox} filled in, and whether the processor can send at all.
//   storeReplyUpload({ db, actorId, caseId, filename, contentType, content }) → { id, filename, size }: a file
//     for a reply not sent yet (REPLY_ATTACHMENTS_MAX_BYTES in all per reply); discardReplyUpload removes one.
//   sendReply({ db, actorId, caseId, inReplyToMessageId, to, cc, subject, text, html?, uploadIds?, uploads?,
//     status?, includeQuote?, clientKey?, ifNoReplySince? }) → { caseMessageId, outboxId, messageId, caseNumber,
//     status }. In ONE transaction: the outbound case message (our Message-ID, In-Reply-To, References,
//     recipients checked, HTML sanitized, signature and quote added), its attachments, the outbox row, the case
//     status (Pending unless `status` says otherwise), the audit row and the case.updated event; the worker
//     is woken on commit and sends it (worker/outbox-sender.ts). `clientKey` (one per click of Send) makes
//     a repeated request return the first reply instead of sending a second one. `ifNoReplySince` (ISO time
//     the agent started writing): when a colleague's reply to the same message was stored after it, nothing
//     is written and a CONFLICT AppError says who answered, so the composer can ask before sending anyway.
//   addNote({ db, actorId, caseId, text }) → { caseMessageId }: an internal note in the thread, audited, live.
//   retryOutbound({ db, actorId, outboundId }) → { outboxId }: sends a failed or unknown reply (or auto-reply)
//     again; outboundId is the outbox row id (ThreadMessage.outboxId). Audited, live.
// Only active users may call these (the router admits agents and admins); every reply and note is audited.
import { createHash, randomUUID } from 'node:crypto';
import { and, desc, eq, gt, inArray, ne, sql } from 'drizzle-orm';
import type { Database, DbOrTx, Transaction } from '../db/client';
import { withLargeBytea } from '../db/large-bytea';
import { attachments, caseMessages, cases, emailProcessors, type MessageAddress, outbox, replyUploads, users } from '../db/schema';
import { formatCaseNumber } from '../domain/case-number';
import { mayRetryByHand, outboxDelivery } from '../domain/outbox-delivery';
import { composeReply, quoteHeader, quotedText, renderSignature } from '../domain/reply-body';
import { cleanSubject, newMessageId, replyHeaders, replySubject, threadingFor } from '../domain/reply-headers';
import { checkRecipients, defaultRecipients, type Recipient } from '../domain/reply-recipients';
import { AppError } from '../errors';
import { sanitizeReplyHtml } from '../mail/reply-html';
import { type AuditActor, recordAudit } from './audit';
import { discardDraftIn } from './case-drafts';
import { caseEventSummary, publishCaseEvent } from './case-events';
import type { CaseStatus } from './cases';
import { OUTBOX_CHANNEL } from './outbox';

/** All attachments of one reply together (issue 12: "size limit, default 25 MB in all"). */
export const REPLY_ATTACHMENTS_MAX_BYTES = 25 * 1024 * 1024;
export const MAX_REPLY_TEXT_CHARS = 200_000;
export const MAX_NOTE_CHARS = 50_000;

export type ReplyUpload = { filename: string; contentType: string; content: Buffer };

async function loadActor(db: DbOrTx, actorId: string): Promise<AuditActor & { name: string }> {
  const [user] = await db
    .select({ id: users.id, email: users.email, name: users.name, active: users.active })
    .from(users)
    .where(eq(users.id, actorId));
  if (!user || !user.active) throw new AppError('FORBIDDEN', 'Not allowed: only active agents may answer cases.');
  return { id: user.id, email: user.email, name: user.name };
}

async function lockCase(tx: Transaction, caseId: string) {
  const [row] = await tx.select().from(cases).where(eq(cases.id, caseId)).for('update');
  if (!row) throw new AppError('NOT_FOUND', 'This case no longer exists.');
  return row;
}

async function ownAddresses(db: DbOrTx): Promise<string[]> {
  return (await db.select({ a: emailProcessors.emailAddress }).from(emailProcessors)).map((r) => r.a);
}

const answeredColumns = {
  id: caseMessages.id,
  caseId: caseMessages.caseId,
  direction: caseMessages.direction,
  messageId: caseMessages.messageId,
  references: caseMessages.references,
  fromAddress: caseMessages.fromAddress,
  fromName: caseMessages.fromName,
  replyTo: caseMessages.replyTo,
  to: caseMessages.to,
  cc: caseMessages.cc,
  subject: caseMessages.subject,
  textBody: caseMessages.textBody,
  sentAt: caseMessages.sentAt,
  createdAt: caseMessages.createdAt,
};

async function loadAnswered(db: DbOrTx, caseId: string, messageId: string | null | undefined) {
  if (messageId) {
    const [m] = await db.select(answeredColumns).from(caseMessages).where(and(eq(caseMessages.id, messageId), eq(caseMessages.caseId, caseId)));
    if (!m) throw new AppError('NOT_FOUND', 'The message you are answering is no longer in this case.');
    if (m.direction === 'note') throw new AppError('VALIDATION', 'A note is not an email: answer a message instead.');
    return m;
  }
  const [latest] = await db
    .select(answeredColumns)
    .from(caseMessages)
    .where(and(eq(caseMessages.caseId, caseId), eq(caseMessages.direction, 'inbound')))
    .orderBy(desc(caseMessages.createdAt))
    .limit(1);
  return latest ?? null;
}

async function loadProcessor(db: DbOrTx, processorId: string | null) {
  if (!processorId) return null;
  const [p] = await db
    .select({ id: emailProcessors.id, emailAddress: emailProcessors.emailAddress, name: emailProcessors.name, signature: emailProcessors.signature })
    .from(emailProcessors)
    .where(eq(emailProcessors.id, processorId));
  return p ?? null;
}

export type ReplyDefaultsOptions = { db: DbOrTx; caseId: string; messageId?: string | null; actorId?: string | null };

export type ReplyDefaults = {
  inReplyToMessageId: string | null;
  to: MessageAddress[];
  cc: MessageAddress[];
  subject: string;
  /** "On …, Jane <jane@…> wrote:" and the quoted text, as the reply will carry them. */
  quote: { header: string; text: string } | null;
  /** The processor's signature, placeholders filled in for this agent and case. */
  signature: string;
  from: { address: string; name: string } | null;
  /** False when the case has no mailbox to send from (its processor was deleted). */
  canSend: boolean;
};

export async function replyDefaults({ db, caseId, messageId, actorId }: ReplyDefaultsOptions): Promise<ReplyDefaults> {
  const [caseRow] = await db.select().from(cases).where(eq(cases.id, caseId));
  if (!caseRow) throw new AppError('NOT_FOUND', 'This case no longer exists.');
  const [answered, processor, own, actor] = await Promise.all([
    loadAnswered(db, caseId, messageId),
    loadProcessor(db, caseRow.processorId),
    ownAddresses(db),
    actorId ? loadActor(db, actorId) : Promise.resolve(null),
  ]);
  const recipients = answered ? defaultRecipients(answered, own) : { to: [], cc: [] };
  const quoted = answered ? { text: answered.textBody, fromName: answered.fromName, fromAddress: answered.fromAddress, date: answered.sentAt ?? answered.createdAt } : null;
  return {
    inReplyToMessageId: answered?.id ?? null,
    ...recipients,
    subject: replySubject(answered?.subject ?? caseRow.subject, caseRow.number),
    quote: quoted ? { header: quoteHeader(quoted), text: quotedText(quoted) } : null,
    signature: processor ? renderSignature(processor.signature, { agentName: actor?.name ?? '', caseNumber: caseRow.number, mailboxName: processor.name }) : '',
    from: processor ? { address: processor.emailAddress, name: processor.name } : null,
    canSend: processor !== null,
  };
}

export type StoreReplyUploadOptions = { db: Database; actorId: string; caseId: string } & ReplyUpload;

export async function storeReplyUpload({ db, actorId, caseId, filename, contentType, content }: StoreReplyUploadOptions) {
  await loadActor(db, actorId);
  if (content.length > REPLY_ATTACHMENTS_MAX_BYTES) {
    throw new AppError('VALIDATION', `Attachments may be ${REPLY_ATTACHMENTS_MAX_BYTES / 1024 / 1024} MB in all; this file alone is larger.`);
  }
  return db.transaction(async (tx) => {
    const [caseRow] = await tx.select({ id: cases.id }).from(cases).where(eq(cases.id, caseId));
    if (!caseRow) throw new AppError('NOT_FOUND', 'This case no longer exists.');
    const [row] = await withLargeBytea(tx, [content], ([value]) =>
      tx
        .insert(replyUploads)
        .values({ caseId, uploaderId: actorId, filename: cleanFilename(filename), contentType: cleanContentType(contentType), size: content.length, content: value! })
        .returning({ id: replyUploads.id, filename: replyUploads.filename, size: replyUploads.size }),
    );
    return row!;
  });
}

export async function discardReplyUpload({ db, actorId, uploadId }: { db: Database; actorId: string; uploadId: string }) {
  await db.delete(replyUploads).where(and(eq(replyUploads.id, uploadId), eq(replyUploads.uploaderId, actorId)));
}

export type SendReplyOptions = {
  db: Database;
  actorId: string;
  caseId: string;
  /** The case message answered; null answers the case's latest inbound mail. */
  inReplyToMessageId: string | null;
  to: Recipient[];
  cc: Recipient[];
  subject: string;
  text: string;
  /** The composer's HTML; sanitized here. Null: the HTML part is made from the text. */
  html?: string | null;
  /** Files stored earlier with storeReplyUpload by this agent for this case. */
  uploadIds?: string[];
  /** Files sent with the request itself. */
  uploads?: ReplyUpload[];
  /** The case status after sending; Pending (waiting for the customer) when left out. */
  status?: CaseStatus;
  /** Quote the answered message below the reply (default true). */
  includeQuote?: boolean;
  /** One per click of Send: the same key again returns the first reply. */
  clientKey?: string;
  /** ISO time the agent began the reply: refuse when a colleague answered the same message since. */
  ifNoReplySince?: string | null;
};

export type SendReplyResult = { caseMessageId: string; outboxId: string; messageId: string; caseNumber: string; status: CaseStatus };

export async function sendReply(opts: SendReplyOptions): Promise<SendReplyResult> {
  const { db } = opts;
  const actor = await loadActor(db, opts.actorId);
  const idempotencyKey = opts.clientKey ? `reply:${actor.id}:${opts.clientKey}` : `reply:${randomUUID()}`;
  if (opts.clientKey) {
    const earlier = await findReplyByKey(db, idempotencyKey);
    if (earlier) return earlier;
  }
  const checked = checkRecipients({ to: opts.to, cc: opts.cc });
  if (!checked.ok) throw new AppError('VALIDATION', checked.errors.to ?? checked.errors.cc ?? 'Check the recipients.', { fieldErrors: { ...checked.errors } });
  if (opts.text.trim() === '' && !opts.html?.trim()) {
    throw new AppError('VALIDATION', 'Write something before sending.', { fieldErrors: { text: 'Write something before sending.' } });
  }
  if (opts.text.length > MAX_REPLY_TEXT_CHARS || (opts.html?.length ?? 0) > MAX_REPLY_TEXT_CHARS * 4) {
    throw new AppError('VALIDATION', 'This reply is too long to send as an email.', { fieldErrors: { text: 'Too long.' } });
  }
  const safeHtml = opts.html?.trim() ? sanitizeReplyHtml(opts.html) : null;
  const uploads = (opts.uploads ?? []).map((u) => ({ filename: cleanFilename(u.filename), contentType: cleanContentType(u.contentType), content: u.content }));

  try {
    return await db.transaction(async (tx) => {
      const caseRow = await lockCase(tx, opts.caseId);
      const processor = await loadProcessor(tx, caseRow.processorId);
      if (!processor) throw new AppError('VALIDATION', 'This case has no mailbox to answer from: its email processor was deleted.');
      const answered = await loadAnswered(tx, caseRow.id, opts.inReplyToMessageId);
      if (opts.ifNoReplySince && answered) await refuseIfAnsweredSince(tx, answered.id, actor.id, new Date(opts.ifNoReplySince));

      const stored = opts.uploadIds?.length
        ? await tx
            .select()
            .from(replyUploads)
            .where(and(inArray(replyUploads.id, opts.uploadIds), eq(replyUploads.uploaderId, actor.id), eq(replyUploads.caseId, caseRow.id)))
        : [];
      if (stored.length !== (opts.uploadIds?.length ?? 0)) throw new AppError('VALIDATION', 'An attached file is no longer there: attach it again.');
      const files = [...stored.map((s) => ({ filename: s.filename, contentType: s.contentType, content: s.content })), ...uploads];
      const total = files.reduce((n, f) => n + f.content.length, 0);
      if (total > REPLY_ATTACHMENTS_MAX_BYTES) {
        throw new AppError('VALIDATION', `Attachments may be ${REPLY_ATTACHMENTS_MAX_BYTES / 1024 / 1024} MB in all.`, { fieldErrors: { attachments: 'Too large in all.' } });
      }

      const subject = cleanSubject(opts.subject, answered?.subject ?? caseRow.subject, caseRow.number);
      const signature = renderSignature(processor.signature, { agentName: actor.name, caseNumber: caseRow.number, mailboxName: processor.name });
      const quote =
        opts.includeQuote !== false && answered
          ? { text: answered.textBody, fromName: answered.fromName, fromAddress: answered.fromAddress, date: answered.sentAt ?? answered.createdAt }
          : null;
      const body = composeReply({ text: opts.text, safeHtml, signature, quote });
      const messageId = newMessageId(processor.emailAddress);
      const threading = threadingFor(answered);
      const headers = replyHeaders(messageId, threading);

      const [message] = await tx
        .insert(caseMessages)
        .values({
          caseId: caseRow.id,
          processorId: processor.id,
          direction: 'outbound',
          messageId,
          inReplyTo: threading.inReplyTo,
          references: threading.references,
          fromAddress: processor.emailAddress,
          fromName: processor.name,
          to: checked.to,
          cc: checked.cc,
          subject,
          textBody: body.text,
          htmlBody: body.html,
          threadReason: 'reference',
          authorId: actor.id,
          createdAt: sql`clock_timestamp()`,
        })
        .returning({ id: caseMessages.id });
      if (files.length > 0) {
        await withLargeBytea(
          tx,
          files.map((f) => f.content),
          (contents) =>
            tx
              .insert(attachments)
              // Like inbound attachments: the checksum is the MD5 mailparser gives incoming files.
              .values(
                files.map((f, i) => ({
                  caseMessageId: message!.id,
                  filename: f.filename,
                  contentType: f.contentType,
                  size: f.content.length,
                  checksum: createHash('md5').update(f.content).digest('hex'),
                  content: contents[i]!,
                })),
              )
              .execute(),
        );
      }
      if (stored.length > 0) await tx.delete(replyUploads).where(inArray(replyUploads.id, stored.map((s) => s.id)));
      // The draft this reply came from goes with it: a reload must not offer a sent reply again.
      await discardDraftIn({ db: tx, userId: actor.id, caseId: caseRow.id });

      const [queued] = await tx
        .insert(outbox)
        .values({
          kind: 'reply',
          caseId: caseRow.id,
          processorId: processor.id,
          caseMessageId: message!.id,
          fromAddress: processor.emailAddress,
          fromName: processor.name,
          toAddress: checked.to[0]!.address,
          toName: checked.to[0]!.name,
          toList: checked.to,
          ccList: checked.cc,
          subject,
          textBody: body.text,
          htmlBody: body.html,
          headers,
          messageId,
          idempotencyKey,
        })
        .returning({ id: outbox.id });

      const status = opts.status ?? 'pending';
      const [updated] = await tx.update(cases).set({ status, lastActivityAt: sql`now()` }).where(eq(cases.id, caseRow.id)).returning();
      const caseNumber = formatCaseNumber(caseRow.number);
      await recordAudit({
        db: tx,
        actor,
        action: 'case.replied',
        entityType: 'case',
        entityId: caseRow.id,
        details: {
          caseNumber,
          caseMessageId: message!.id,
          outboxId: queued!.id,
          to: checked.to.map((r) => r.address),
          cc: checked.cc.map((r) => r.address),
          subject,
          attachments: files.length,
          status: { from: caseRow.status, to: status },
        },
      });
      await publishCaseEvent(tx, { type: 'case.updated', case: caseEventSummary(updated!), messageId: message!.id, actorId: actor.id });
      await tx.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, ${queued!.id})`);
      return { caseMessageId: message!.id, outboxId: queued!.id, messageId, caseNumber, status };
    });
  } catch (err) {
    // Two requests with one key at once: the second lost the race for the key; answer with the first.
    if (opts.clientKey && isUniqueViolation(err)) {
      const earlier = await findReplyByKey(db, idempotencyKey);
      if (earlier) return earlier;
    }
    throw err;
  }
}

async function refuseIfAnsweredSince(tx: Transaction, answeredId: string, actorId: string, since: Date) {
  const [answer] = await tx
    .select({ name: users.name, at: caseMessages.createdAt })
    .from(caseMessages)
    .leftJoin(users, eq(users.id, caseMessages.authorId))
    .where(
      and(
        eq(caseMessages.direction, 'outbound'),
        sql`${caseMessages.inReplyTo} = (select message_id from case_messages where id = ${answeredId})`,
        ne(caseMessages.authorId, actorId),
        gt(caseMessages.createdAt, since),
      ),
    )
    .orderBy(desc(caseMessages.createdAt))
    .limit(1);
  if (answer) {
    // repliedBy/repliedAt let the composer say it in the agent's own time zone ("Bob already replied at 14:02").
    throw new AppError('CONFLICT', `${answer.name ?? 'A colleague'} already answered this message at ${answer.at.toISOString()}. Send yours as well?`, {
      fieldErrors: { repliedBy: answer.name ?? 'A colleague', repliedAt: answer.at.toISOString() },
    });
  }
}

async function findReplyByKey(db: DbOrTx, idempotencyKey: string): Promise<SendReplyResult | null> {
  const [row] = await db
    .select({ outboxId: outbox.id, caseMessageId: outbox.caseMessageId, messageId: outbox.messageId, number: cases.number, status: cases.status })
    .from(outbox)
    .innerJoin(cases, eq(cases.id, outbox.caseId))
    .where(eq(outbox.idempotencyKey, idempotencyKey));
  if (!row || !row.caseMessageId || !row.messageId) return null;
  return { caseMessageId: row.caseMessageId, outboxId: row.outboxId, messageId: row.messageId, caseNumber: formatCaseNumber(row.number), status: row.status };
}

function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === '23505') return true;
  }
  return false;
}

export type AddNoteOptions = { db: Database; actorId: string; caseId: string; text: string };

export async function addNote({ db, actorId, caseId, text }: AddNoteOptions): Promise<{ caseMessageId: string }> {
  const actor = await loadActor(db, actorId);
  const body = text.replace(/\r\n?/g, '\n').trim();
  if (body === '') throw new AppError('VALIDATION', 'Write the note first.', { fieldErrors: { text: 'Write the note first.' } });
  if (body.length > MAX_NOTE_CHARS) throw new AppError('VALIDATION', 'This note is too long.', { fieldErrors: { text: 'Too long.' } });
  return db.transaction(async (tx) => {
    const caseRow = await lockCase(tx, caseId);
    const [note] = await tx
      .insert(caseMessages)
      .values({
        caseId,
        processorId: caseRow.processorId,
        direction: 'note',
        fromAddress: actor.email,
        fromName: actor.name,
        subject: '',
        textBody: body,
        threadReason: 'new',
        threadNote: 'Internal note: never emailed.',
        authorId: actor.id,
        createdAt: sql`clock_timestamp()`,
      })
      .returning({ id: caseMessages.id });
    await discardDraftIn({ db: tx, userId: actor.id, caseId });
    const [updated] = await tx.update(cases).set({ lastActivityAt: sql`now()` }).where(eq(cases.id, caseId)).returning();
    await recordAudit({
      db: tx,
      actor,
      action: 'case.note_added',
      entityType: 'case',
      entityId: caseId,
      details: { caseNumber: formatCaseNumber(caseRow.number), caseMessageId: note!.id, chars: body.length },
    });
    await publishCaseEvent(tx, { type: 'case.updated', case: caseEventSummary(updated!), messageId: note!.id, actorId: actor.id });
    return { caseMessageId: note!.id };
  });
}

export type RetryOutboundOptions = { db: Database; actorId: string; outboundId: string };

export async function retryOutbound({ db, actorId, outboundId }: RetryOutboundOptions): Promise<{ outboxId: string }> {
  const actor = await loadActor(db, actorId);
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(outbox).where(eq(outbox.id, outboundId)).for('update');
    if (!row) throw new AppError('NOT_FOUND', 'This outgoing message no longer exists.');
    const delivery = outboxDelivery(row);
    if (!mayRetryByHand(delivery)) {
      throw new AppError('CONFLICT', delivery.state === 'sent' || delivery.state === 'bounced' ? 'This message was already sent.' : 'This message is still being sent; it retries by itself.');
    }
    // A fresh key: the provider must not answer "already done" for a send that failed or is in doubt.
    const retries = Number(/#retry(\d+)$/.exec(row.idempotencyKey)?.[1] ?? 0) + 1;
    const idempotencyKey = `${row.idempotencyKey.replace(/#retry\d+$/, '')}#retry${retries}`;
    await tx
      .update(outbox)
      .set({
        status: 'pending',
        attempts: 0,
        nextAttemptAt: sql`now()`,
        lastError: null,
        lastErrorKind: null,
        attemptToken: null,
        claimedBy: null,
        claimedUntil: null,
        handoverStartedAt: null,
        idempotencyKey,
      })
      .where(eq(outbox.id, row.id));
    if (row.caseId) {
      const [caseRow] = await tx.update(cases).set({ lastActivityAt: sql`now()` }).where(eq(cases.id, row.caseId)).returning();
      await recordAudit({
        db: tx,
        actor,
        action: 'case.reply_retried',
        entityType: 'case',
        entityId: row.caseId,
        details: { caseNumber: caseRow ? formatCaseNumber(caseRow.number) : null, outboxId: row.id, previousState: delivery.state, previousError: row.lastError },
      });
      if (caseRow) await publishCaseEvent(tx, { type: 'case.updated', case: caseEventSummary(caseRow), messageId: row.caseMessageId ?? undefined, actorId: actor.id });
    }
    await tx.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, ${row.id})`);
    return { outboxId: row.id };
  });
}

function cleanFilename(name: string): string {
  const base = name.replace(/[\u0000-\u001f\u007f/\\]+/g, '_').trim().slice(0, 200);
  return base === '' ? 'attachment' : base;
}

function cleanContentType(type: string): string {
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i.test(type.trim()) ? type.trim().toLowerCase() : 'application/octet-stream';
}

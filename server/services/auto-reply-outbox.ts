// The auto-reply to the sender of a new case (DESIGN "Auto reply"): decided by server/domain/auto-reply-policy,
// written by server/domain/auto-reply-message, queued in the outbox in the case's own transaction and sent
// after commit by the worker's outbox sender. Nothing is sent from here.
//
// Decisions:
// - The outbox row's idempotency key is `auto-reply:<caseId>`: a case gets at most one auto-reply, and the
//   key travels to the mail provider so a crash between sending and recording sends once.
// - The reply is also stored as an outbound message of the case, under its own Message-ID, so an answer to
//   it joins the case by In-Reply-To even when the sender's client dropped the [LC…] tag. It is stored at
//   queue time (sent_at stays empty); the outbox row tells whether it has gone out.
// - The per-sender rate limit counts every auto-reply in the last hour, from any mailbox, to the mailbox the
//   address reaches (no +tag, no letter case: autoReplyRecipientKey); the per-processor limit counts this
//   processor's auto-replies in the last hour to anyone. Both are read in the case's transaction; one
//   processor's mail is ingested by one worker session at a time, so its count cannot race itself.
import { and, count, eq, gt, sql } from 'drizzle-orm';
import type { Transaction } from '../db/client';
import { caseMessages, outbox } from '../db/schema';
import { recipientKeySql } from '../db/schema/outbox';
import { buildAutoReply } from '../domain/auto-reply-message';
import { type AutoReplySkipCode, autoReplyRecipientKey, autoReplyRefusal, decideAutoReply } from '../domain/auto-reply-policy';
import { normalizeMessageId, parseReferences } from '../domain/message-id';
import type { ParsedInbound } from '../mail/parse-message';
import type { IntakeContext } from './case-intake';

const RATE_WINDOW_MS = 60 * 60 * 1000;

export type QueueAutoReplyOptions = {
  ctx: IntakeContext;
  parsed: ParsedInbound;
  caseId: string;
  caseNumber: number;
  isInitialImport: boolean;
  /** DMARC failed and the processor sends no auto-reply to such mail. */
  senderFailedDmarc?: boolean;
  now: Date;
};

export type AutoReplyOutcome = { queued: true; skip?: undefined } | { queued: false; skip: AutoReplySkipCode };

export async function queueAutoReply(tx: Transaction, opts: QueueAutoReplyOptions): Promise<AutoReplyOutcome> {
  const { ctx, parsed } = opts;
  const sender = parsed.from?.address ?? null;
  const facts = {
    processorAutoReply: ctx.processor.autoReply,
    isInitialImport: opts.isInitialImport,
    isNewCase: true,
    fromAddress: sender,
    headers: parsed.headers,
    ownAddresses: ctx.ownAddresses,
    senderFailedDmarc: opts.senderFailedDmarc,
  };
  // The counts are the only queries of the decision; skip them when the answer is already no.
  const refused = autoReplyRefusal(facts);
  if (refused) return { queued: false, skip: refused.code };
  const [toSender, fromProcessor] = await Promise.all([countRecentRepliesTo(tx, sender!, opts.now), countRecentRepliesFrom(tx, ctx.processor.id, opts.now)]);
  const decision = decideAutoReply({
    ...facts,
    repliesToSenderLastHour: toSender,
    maxRepliesPerSenderPerHour: ctx.maxAutoRepliesPerSenderPerHour,
    repliesFromProcessorLastHour: fromProcessor,
    maxRepliesPerProcessorPerHour: ctx.maxAutoRepliesPerProcessorPerHour,
  });
  if (!decision.send) return { queued: false, skip: decision.code };

  const mail = buildAutoReply({
    caseNumber: opts.caseNumber,
    processorAddress: ctx.processor.emailAddress,
    processorName: ctx.processor.name,
    toAddress: sender!,
    toName: parsed.from?.name || null,
    originalSubject: parsed.subject,
    originalMessageId: parsed.messageId,
    originalReferences: parsed.references,
  });
  const messageId = normalizeMessageId(mail.headers['Message-ID']);

  const [threadMessage] = await tx
    .insert(caseMessages)
    .values({
      caseId: opts.caseId,
      processorId: ctx.processor.id,
      direction: 'outbound',
      messageId,
      inReplyTo: normalizeMessageId(mail.headers['In-Reply-To']),
      references: parseReferences(mail.headers['References']),
      fromAddress: mail.from.address,
      fromName: mail.from.name ?? '',
      to: [{ address: mail.to.address, name: mail.to.name ?? '' }],
      subject: mail.subject,
      textBody: mail.text,
      htmlBody: mail.html,
      threadReason: 'new',
      threadNote: 'Automatic reply to the sender, queued when the case was opened.',
      createdAt: sql`clock_timestamp()`,
    })
    .returning({ id: caseMessages.id });
  await tx.insert(outbox).values({
    kind: 'auto_reply',
    caseId: opts.caseId,
    processorId: ctx.processor.id,
    caseMessageId: threadMessage.id,
    fromAddress: mail.from.address,
    fromName: mail.from.name ?? '',
    toAddress: mail.to.address,
    toName: mail.to.name ?? '',
    subject: mail.subject,
    textBody: mail.text,
    htmlBody: mail.html,
    headers: mail.headers,
    messageId,
    idempotencyKey: `auto-reply:${opts.caseId}`,
    createdAt: opts.now,
  });
  return { queued: true };
}

async function countRecentRepliesTo(tx: Transaction, address: string, now: Date): Promise<number> {
  const [{ value }] = await tx
    .select({ value: count() })
    .from(outbox)
    .where(
      and(
        eq(outbox.kind, 'auto_reply'),
        eq(recipientKeySql(outbox.toAddress), autoReplyRecipientKey(address)),
        gt(outbox.createdAt, new Date(now.getTime() - RATE_WINDOW_MS)),
      ),
    );
  return value;
}

async function countRecentRepliesFrom(tx: Transaction, processorId: string, now: Date): Promise<number> {
  const [{ value }] = await tx
    .select({ value: count() })
    .from(outbox)
    .where(
      and(
        eq(outbox.kind, 'auto_reply'),
        eq(outbox.processorId, processorId),
        gt(outbox.createdAt, new Date(now.getTime() - RATE_WINDOW_MS)),
      ),
    );
  return value;
}

// A case's messages, oldest first, ready to show: HTML sanitized here on the server with inline
// images pointed at signed attachment links (server/auth/attachment-token.ts), remote images
// blocked unless the agent asked for them for one message (getMessageHtml).
import { asc, eq, inArray } from 'drizzle-orm';
import { signAttachmentToken } from '../auth/attachment-token';
import type { DbOrTx } from '../db/client';
import { attachments, caseMessages, type MessageAddress, outbox, users } from '../db/schema';
import type { SenderAuthentication } from '../domain/authentication-results';
import type { SenderSource } from '../domain/choose-sender';
import type { DeliveryReport } from '../domain/delivery-status';
import { type OutboxDelivery, outboxDelivery, type OutboxRowState } from '../domain/outbox-delivery';
import { env } from '../env';
import { AppError } from '../errors';
import { ATTACHMENTS_PATH } from '../mail/message-document';
import { sanitizeEmailHtml } from '../mail/sanitize-html';

export type ThreadAttachment = { id: string; filename: string; contentType: string; size: number; url: string };

export type ThreadMessage = {
  id: string;
  /** 'note': an agent's internal note, never emailed. */
  direction: 'inbound' | 'outbound' | 'note';
  /** The agent who wrote a reply or note; null for mail and auto-replies. */
  author: { id: string; name: string } | null;
  /** Outbound mail: its outbox row, for the retry button (replies.retry). */
  outboxId: string | null;
  /** Outbound mail: the copy in the mailbox's Sent folder ('off' when the processor keeps none). */
  sentCopy: { status: 'off' | 'pending' | 'done' | 'failed'; error: string | null } | null;
  /** An inbound bounce recognised as being about one of our outbound messages: that message's id. */
  bounceOfId: string | null;
  fromAddress: string;
  fromName: string;
  /** Which header the sender came from (From unless it had no usable address). */
  senderSource: SenderSource;
  to: MessageAddress[];
  cc: MessageAddress[];
  subject: string;
  sentAt: Date | null;
  receivedAt: Date;
  threadReason: 'tag' | 'reference' | 'new';
  threadNote: string | null;
  text: string | null;
  /** Sanitized; null when the message has no HTML part. */
  html: string | null;
  remoteImages: number;
  /** A bounce's delivery status, shown as a notice; null for other mail. */
  deliveryReport: DeliveryReport | null;
  /** SPF, DKIM and DMARC as the processor's mail server judged them; null when it names no server. */
  authentication: SenderAuthentication | null;
  /** Files to download; inline images are shown inside the HTML instead. */
  attachments: ThreadAttachment[];
  /** Outbound mail only: what the outbox did with it (queued, no transport, retrying, failed, sent). */
  delivery: OutboxDelivery | null;
};

type AttachmentRow = {
  id: string;
  caseMessageId: string;
  filename: string;
  contentType: string;
  size: number;
  contentId: string | null;
  inline: boolean;
};

const attachmentColumns = {
  id: attachments.id,
  caseMessageId: attachments.caseMessageId,
  filename: attachments.filename,
  contentType: attachments.contentType,
  size: attachments.size,
  contentId: attachments.contentId,
  inline: attachments.inline,
};

export function attachmentUrl(id: string): string {
  return `${ATTACHMENTS_PATH}${id}`;
}

// Links are signed as of the start of the hour, so a refetch of the case (after every event about
// it) yields the same HTML: the browser neither reloads the message frame nor refetches its images.
const SIGNING_STEP_MS = 60 * 60 * 1000;

function inlineImageResolver(rows: AttachmentRow[], now: number) {
  const byContentId = new Map<string, string>();
  const signedAt = Math.floor(now / SIGNING_STEP_MS) * SIGNING_STEP_MS;
  for (const row of rows) {
    if (!row.contentId) continue;
    const token = signAttachmentToken({ secret: env().authSecret, attachmentId: row.id, now: signedAt });
    byContentId.set(row.contentId.toLowerCase(), `${attachmentUrl(row.id)}?t=${token}`);
  }
  // Content-IDs are compared without regard to case: mailers are not consistent about it.
  return (contentId: string) => byContentId.get(contentId.toLowerCase()) ?? null;
}

function sanitize(html: string | null, rows: AttachmentRow[], allowRemoteImages: boolean, now: number) {
  if (html === null) return { html: null, remoteImages: 0 };
  return sanitizeEmailHtml({ html, allowRemoteImages, resolveContentId: inlineImageResolver(rows, now) });
}

export type ListCaseThreadOptions = { db: DbOrTx; caseId: string; now?: number };

export async function listCaseThread({ db, caseId, now = Date.now() }: ListCaseThreadOptions): Promise<ThreadMessage[]> {
  const messages = await db
    .select({
      id: caseMessages.id,
      direction: caseMessages.direction,
      fromAddress: caseMessages.fromAddress,
      fromName: caseMessages.fromName,
      senderSource: caseMessages.senderSource,
      to: caseMessages.to,
      cc: caseMessages.cc,
      subject: caseMessages.subject,
      sentAt: caseMessages.sentAt,
      receivedAt: caseMessages.createdAt,
      threadReason: caseMessages.threadReason,
      threadNote: caseMessages.threadNote,
      text: caseMessages.textBody,
      html: caseMessages.htmlBody,
      deliveryReport: caseMessages.deliveryReport,
      authentication: caseMessages.authentication,
      bounceOfId: caseMessages.bounceOfId,
      authorId: caseMessages.authorId,
      authorName: users.name,
      outbox: {
        id: outbox.id,
        status: outbox.status,
        attempts: outbox.attempts,
        lastError: outbox.lastError,
        lastErrorKind: outbox.lastErrorKind,
        nextAttemptAt: outbox.nextAttemptAt,
        sentAt: outbox.sentAt,
        providerMessageId: outbox.providerMessageId,
        serverResponse: outbox.serverResponse,
        bounce: outbox.bounce,
        sentCopyStatus: outbox.sentCopyStatus,
        sentCopyError: outbox.sentCopyError,
      },
    })
    .from(caseMessages)
    .leftJoin(outbox, eq(outbox.caseMessageId, caseMessages.id))
    .leftJoin(users, eq(users.id, caseMessages.authorId))
    .where(eq(caseMessages.caseId, caseId))
    .orderBy(asc(caseMessages.createdAt), asc(caseMessages.id));
  const files: AttachmentRow[] = messages.length
    ? await db
        .select(attachmentColumns)
        .from(attachments)
        .where(inArray(attachments.caseMessageId, messages.map((m) => m.id)))
        .orderBy(asc(attachments.createdAt), asc(attachments.filename))
    : [];
  return messages.map(({ outbox: queued, authorId, authorName, ...message }) => {
    const own = files.filter((f) => f.caseMessageId === message.id);
    const { html, remoteImages } = sanitize(message.html, own, false, now);
    return {
      ...message,
      delivery: deliveryOf(message.direction, queued, message.sentAt),
      author: authorId ? { id: authorId, name: authorName ?? '' } : null,
      outboxId: queued?.id ?? null,
      sentCopy: queued?.id ? { status: queued.sentCopyStatus, error: queued.sentCopyError } : null,
      html,
      remoteImages,
      attachments: own
        .filter((f) => !f.inline)
        .map((f) => ({ id: f.id, filename: f.filename, contentType: f.contentType, size: f.size, url: attachmentUrl(f.id) })),
    };
  });
}

type OutboxColumns = OutboxRowState & { id: string; sentCopyStatus: 'off' | 'pending' | 'done' | 'failed'; sentCopyError: string | null };

function deliveryOf(direction: ThreadMessage['direction'], queued: OutboxColumns | null, sentAt: Date | null): OutboxDelivery | null {
  if (direction !== 'outbound') return null;
  if (queued?.id) return outboxDelivery(queued);
  // Outbound without an outbox row (its row was removed): only a recorded send counts as sent.
  return sentAt ? { state: 'sent', sentAt } : null;
}

export type GetMessageHtmlOptions = { db: DbOrTx; messageId: string; allowRemoteImages: boolean; now?: number };

/** One message's HTML again, typically with the remote images the agent chose to load. */
export async function getMessageHtml({ db, messageId, allowRemoteImages, now = Date.now() }: GetMessageHtmlOptions) {
  const [message] = await db.select({ html: caseMessages.htmlBody }).from(caseMessages).where(eq(caseMessages.id, messageId));
  if (!message) throw new AppError('NOT_FOUND', 'This message no longer exists.');
  const files = await db.select(attachmentColumns).from(attachments).where(eq(attachments.caseMessageId, messageId));
  const { html, remoteImages } = sanitize(message.html, files, allowRemoteImages, now);
  return { html: html ?? '', remoteImages };
}

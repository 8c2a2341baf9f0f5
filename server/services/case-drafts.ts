// The draft each agent keeps per case: what the composer holds (reply or note, body, To/CC as typed,
// subject), saved as the agent types, so a reload or a crashed browser loses nothing. The files attached
// to it are the agent's reply uploads for that case (reply_uploads, server/services/case-replies.ts):
// they survive a reload the same way. Sending a reply or adding a note removes the draft in the same
// transaction (discardDraftIn), so a draft that was sent never comes back.
//
// Decisions:
// - The body is stored as the editor's HTML, sanitized here (a small allow-list of what the composer can
//   produce), and as plain text; the draft is shown again only to its author, but nothing unsanitized is
//   kept.
// - createdAt is when the agent began this draft: the composer sends it as ifNoReplySince, so a colleague's
//   reply stored after it asks for confirmation (server/services/case-replies.ts).
import { and, asc, eq, sql } from 'drizzle-orm';
import sanitizeHtml from 'sanitize-html';
import type { Database, DbOrTx } from '../db/client';
import { caseDrafts, cases, replyUploads } from '../db/schema';
import { AppError } from '../errors';
import { REPLY_ATTACHMENTS_MAX_BYTES } from './case-replies';

export const MAX_DRAFT_HTML_CHARS = 800_000;
export const MAX_DRAFT_TEXT_CHARS = 200_000;
export const MAX_DRAFT_LINE_CHARS = 10_000;

export type ComposerMode = 'reply' | 'note';

export type DraftInput = {
  mode: ComposerMode;
  bodyHtml: string;
  bodyText: string;
  toText: string;
  ccText: string;
  subject: string;
};

export type DraftUpload = { id: string; filename: string; contentType: string; size: number };

export type CaseDraft = DraftInput & { createdAt: Date; updatedAt: Date };

export type DraftWithUploads = {
  draft: CaseDraft | null;
  uploads: DraftUpload[];
  /** All of a reply's files together may be this large (the composer checks before uploading). */
  attachmentLimitBytes: number;
};

// What TipTap's starter kit can produce; anything else (pasted or forged) goes.
const COMPOSER_TAGS = ['p', 'br', 'strong', 'b', 'em', 'i', 'u', 's', 'a', 'ul', 'ol', 'li', 'blockquote', 'code', 'pre', 'h1', 'h2', 'h3', 'hr'];

export function sanitizeComposerHtml(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: COMPOSER_TAGS,
    allowedAttributes: { a: ['href'], ol: ['start'] },
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
  });
}

export type GetDraftOptions = { db: DbOrTx; userId: string; caseId: string };

export async function getDraft({ db, userId, caseId }: GetDraftOptions): Promise<DraftWithUploads> {
  const [row] = await db
    .select()
    .from(caseDrafts)
    .where(and(eq(caseDrafts.userId, userId), eq(caseDrafts.caseId, caseId)));
  const uploads = await db
    .select({ id: replyUploads.id, filename: replyUploads.filename, contentType: replyUploads.contentType, size: replyUploads.size })
    .from(replyUploads)
    .where(and(eq(replyUploads.uploaderId, userId), eq(replyUploads.caseId, caseId)))
    .orderBy(asc(replyUploads.createdAt), asc(replyUploads.id));
  const draft = row
    ? {
        mode: row.mode,
        bodyHtml: row.bodyHtml,
        bodyText: row.bodyText,
        toText: row.toText,
        ccText: row.ccText,
        subject: row.subject,
        createdAt: row.createdAt,
        updatedAt: row.updatedAt,
      }
    : null;
  return { draft, uploads, attachmentLimitBytes: REPLY_ATTACHMENTS_MAX_BYTES };
}

export type SaveDraftOptions = { db: Database; userId: string; caseId: string; draft: DraftInput };

export async function saveDraft({ db, userId, caseId, draft }: SaveDraftOptions): Promise<{ createdAt: Date; updatedAt: Date }> {
  if (draft.bodyHtml.length > MAX_DRAFT_HTML_CHARS || draft.bodyText.length > MAX_DRAFT_TEXT_CHARS) {
    throw new AppError('VALIDATION', 'This draft is too long to keep.');
  }
  const values = {
    mode: draft.mode,
    bodyHtml: sanitizeComposerHtml(draft.bodyHtml),
    bodyText: draft.bodyText,
    toText: draft.toText.slice(0, MAX_DRAFT_LINE_CHARS),
    ccText: draft.ccText.slice(0, MAX_DRAFT_LINE_CHARS),
    subject: draft.subject.slice(0, MAX_DRAFT_LINE_CHARS),
  };
  const [caseRow] = await db.select({ id: cases.id }).from(cases).where(eq(cases.id, caseId));
  if (!caseRow) throw new AppError('NOT_FOUND', 'This case no longer exists.');
  const [saved] = await db
    .insert(caseDrafts)
    .values({ userId, caseId, ...values })
    .onConflictDoUpdate({ target: [caseDrafts.userId, caseDrafts.caseId], set: { ...values, updatedAt: sql`now()` } })
    .returning({ createdAt: caseDrafts.createdAt, updatedAt: caseDrafts.updatedAt });
  return saved!;
}

export type DiscardDraftOptions = { db: DbOrTx; userId: string; caseId: string };

/** Removes the agent's draft for the case (and nothing else: uploads stay until sent or removed). */
export async function discardDraftIn({ db, userId, caseId }: DiscardDraftOptions): Promise<void> {
  await db.delete(caseDrafts).where(and(eq(caseDrafts.userId, userId), eq(caseDrafts.caseId, caseId)));
}

export type DiscardDraftWithUploadsOptions = { db: Database; userId: string; caseId: string };

/** "Discard draft": the text and the files the agent attached to it. */
export async function discardDraft({ db, userId, caseId }: DiscardDraftWithUploadsOptions): Promise<void> {
  await db.transaction(async (tx) => {
    await discardDraftIn({ db: tx, userId, caseId });
    await tx.delete(replyUploads).where(and(eq(replyUploads.uploaderId, userId), eq(replyUploads.caseId, caseId)));
  });
}

export type UploadedTotalOptions = { db: DbOrTx; userId: string; caseId: string };

/** Bytes the agent has attached to their draft for this case so far. */
export async function uploadedBytes({ db, userId, caseId }: UploadedTotalOptions): Promise<number> {
  const [row] = await db
    .select({ total: sql<string>`coalesce(sum(${replyUploads.size}), 0)` })
    .from(replyUploads)
    .where(and(eq(replyUploads.uploaderId, userId), eq(replyUploads.caseId, caseId)));
  return Number(row?.total ?? 0);
}

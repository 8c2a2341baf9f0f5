// Attachment bytes for the download route (app/api/attachments/[id]/route.ts).
//
// An attachment of inbound mail is stored as a part of its raw message (attachments.raw_part, content
// empty): the raw message is read and parsed again, with the same parser that listed its attachments at
// intake, and the part is checked against the size and SHA-256 taken then. Should a later parser list the
// parts differently, the part with that checksum is served; a part that cannot be found is an error, never
// other bytes. Outbound mail (an agent's reply) keeps its files' bytes in the row.
import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { attachments, caseMessages, rawMessages } from '../db/schema';
import { AppError } from '../errors';
import { type ParsedAttachment, parseInbound } from '../mail/parse-message';

export type AttachmentContent = { filename: string; contentType: string; content: Buffer };

export async function getAttachmentContent({ db, id }: { db: DbOrTx; id: string }): Promise<AttachmentContent> {
  const [row] = await db
    .select({
      filename: attachments.filename,
      contentType: attachments.contentType,
      content: attachments.content,
      rawPart: attachments.rawPart,
      size: attachments.size,
      checksum: attachments.checksum,
      rawMessageId: caseMessages.rawMessageId,
    })
    .from(attachments)
    .innerJoin(caseMessages, eq(caseMessages.id, attachments.caseMessageId))
    .where(eq(attachments.id, id));
  if (!row) throw new AppError('NOT_FOUND', 'No such attachment.');
  const { filename, contentType } = row;
  if (row.rawPart === null) return { filename, contentType, content: row.content };
  const [raw] = row.rawMessageId === null ? [] : await db.select({ content: rawMessages.content }).from(rawMessages).where(eq(rawMessages.id, row.rawMessageId));
  if (!raw) throw new Error(`Attachment ${id}: its raw message is gone.`);
  const part = partOf((await parseInbound(raw.content)).attachments, row.rawPart, row);
  if (!part) throw new Error(`Attachment ${id}: part ${row.rawPart} of its raw message is not the file stored at intake (size or checksum differ).`);
  return { filename, contentType, content: part.content };
}

function partOf(parts: ParsedAttachment[], index: number, want: { size: number; checksum: string | null }): ParsedAttachment | undefined {
  const same = (p: ParsedAttachment | undefined) => p !== undefined && p.size === want.size && p.content.length === want.size && p.checksum === want.checksum;
  const listed = parts[index];
  if (same(listed)) return listed;
  return parts.find(same);
}

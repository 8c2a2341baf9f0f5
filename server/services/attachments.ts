// Attachment bytes for the download route (app/api/attachments/[id]/route.ts).
import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { attachments } from '../db/schema';
import { AppError } from '../errors';

export type AttachmentContent = { filename: string; contentType: string; content: Buffer };

export async function getAttachmentContent({ db, id }: { db: DbOrTx; id: string }): Promise<AttachmentContent> {
  const [row] = await db
    .select({ filename: attachments.filename, contentType: attachments.contentType, content: attachments.content })
    .from(attachments)
    .where(eq(attachments.id, id));
  if (!row) throw new AppError('NOT_FOUND', 'No such attachment.');
  return row;
}

// Uploads one file for the reply an agent is writing on a case (multipart/form-data, field "file").
// A plain route handler rather than tRPC: the browser streams the file as it is, without base64 in JSON.
// Only signed-in agents (or admins) from our own pages may upload; the file is stored as a reply upload
// of this agent for this case (server/services/case-replies.ts) and goes out with the reply when sent.
// The limit is on all of a reply's files together (REPLY_ATTACHMENTS_MAX_BYTES, 25 MB): a file that would
// take the draft past it is refused with the sizes in words.
import { isForeignOrigin } from '@/server/auth/request-origin';
import { sessionUserFromCookies } from '@/server/auth/session';
import { db } from '@/server/db/client';
import { env } from '@/server/env';
import { isAppError } from '@/server/errors';
import { uploadedBytes } from '@/server/services/case-drafts';
import { REPLY_ATTACHMENTS_MAX_BYTES, storeReplyUpload } from '@/server/services/case-replies';

export const dynamic = 'force-dynamic';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Room for the multipart framing around the file itself. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MB`;

function answer(status: number, body: Record<string, unknown>): Response {
  return Response.json(body, { status, headers: { 'Cache-Control': 'no-store' } });
}

export async function POST(request: Request, { params }: { params: Promise<{ caseId: string }> }) {
  const { caseId } = await params;
  if (!UUID.test(caseId)) return answer(404, { error: 'No such case.' });
  const origin = { origin: request.headers.get('origin'), secFetchSite: request.headers.get('sec-fetch-site'), host: request.headers.get('host') };
  if (isForeignOrigin({ ...origin, publicUrl: env().publicUrl })) return answer(403, { error: 'Not allowed: this request came from another site.' });
  const user = await sessionUserFromCookies(request.headers.get('cookie'));
  if (!user) return answer(401, { error: 'Sign in to attach files.' });
  if (user.role !== 'agent' && user.role !== 'admin') return answer(403, { error: 'Not allowed: only agents may answer cases.' });

  const limit = `Attachments may be ${megabytes(REPLY_ATTACHMENTS_MAX_BYTES)} in all`;
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > REPLY_ATTACHMENTS_MAX_BYTES + MULTIPART_OVERHEAD_BYTES) {
    return answer(413, { error: `${limit}; this file alone is ${megabytes(declared)}.` });
  }
  let file: File;
  try {
    const form = await request.formData();
    const value = form.get('file');
    if (!(value instanceof File)) return answer(400, { error: 'Choose a file to attach.' });
    file = value;
  } catch {
    return answer(400, { error: 'The upload was cut off: attach the file again.' });
  }
  const already = await uploadedBytes({ db: db(), userId: user.id, caseId });
  if (already + file.size > REPLY_ATTACHMENTS_MAX_BYTES) {
    return answer(413, {
      error: `${limit}: ${file.name} (${megabytes(file.size)}) would make ${megabytes(already + file.size)}. Remove a file or send it another way.`,
    });
  }
  try {
    const stored = await storeReplyUpload({
      db: db(),
      actorId: user.id,
      caseId,
      filename: file.name,
      contentType: file.type || 'application/octet-stream',
      content: Buffer.from(await file.arrayBuffer()),
    });
    return answer(201, { id: stored.id, filename: stored.filename, size: stored.size, contentType: file.type || 'application/octet-stream' });
  } catch (err) {
    if (isAppError(err)) return answer(err.status, { error: err.message });
    throw err;
  }
}

// Answering a case: reply defaults, sending, notes, retrying an outgoing message (server/services/case-replies.ts).
import { z } from 'zod';
import { db } from '../../db/client';
import { caseStatus } from '../../db/schema';
import { MAX_RECIPIENTS } from '../../domain/reply-recipients';
import { addNote, discardReplyUpload, replyDefaults, retryOutbound, sendReply } from '../../services/case-replies';
import { agentProcedure, router } from '../trpc';

const recipient = z.object({ address: z.string().max(400), name: z.string().max(400).default('') });
// A little room over the limit, so the service can say "at most 50" rather than zod saying "too big".
const recipients = z.array(recipient).max(MAX_RECIPIENTS + 10);

export const repliesRouter = router({
  defaults: agentProcedure
    .input(z.object({ caseId: z.uuid(), messageId: z.uuid().nullish() }))
    .query(({ ctx, input }) => replyDefaults({ db: db(), caseId: input.caseId, messageId: input.messageId, actorId: ctx.user.id })),

  send: agentProcedure
    .input(
      z.object({
        caseId: z.uuid(),
        inReplyToMessageId: z.uuid().nullable(),
        to: recipients,
        cc: recipients.default([]),
        subject: z.string().max(1000),
        text: z.string().max(400_000),
        html: z.string().max(2_000_000).nullish(),
        uploadIds: z.array(z.uuid()).max(100).default([]),
        status: z.enum(caseStatus.enumValues).optional(),
        includeQuote: z.boolean().default(true),
        clientKey: z.string().min(8).max(100).optional(),
        ifNoReplySince: z.iso.datetime().nullish(),
      }),
    )
    .mutation(({ ctx, input }) => sendReply({ db: db(), actorId: ctx.user.id, ...input })),

  addNote: agentProcedure
    .input(z.object({ caseId: z.uuid(), text: z.string().max(60_000) }))
    .mutation(({ ctx, input }) => addNote({ db: db(), actorId: ctx.user.id, caseId: input.caseId, text: input.text })),

  retry: agentProcedure
    .input(z.object({ outboundId: z.uuid() }))
    .mutation(({ ctx, input }) => retryOutbound({ db: db(), actorId: ctx.user.id, outboundId: input.outboundId })),

  discardUpload: agentProcedure
    .input(z.object({ uploadId: z.uuid() }))
    .mutation(({ ctx, input }) => discardReplyUpload({ db: db(), actorId: ctx.user.id, uploadId: input.uploadId })),
});

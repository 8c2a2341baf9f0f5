// The agent's own draft per case (server/services/case-drafts.ts): read when the composer opens, saved as
// the agent types, discarded on request. Every procedure acts on the caller's draft only.
import { z } from 'zod';
import { db } from '../../db/client';
import { composerMode } from '../../db/schema';
import { discardDraft, getDraft, MAX_DRAFT_HTML_CHARS, MAX_DRAFT_LINE_CHARS, MAX_DRAFT_TEXT_CHARS, saveDraft } from '../../services/case-drafts';
import { agentProcedure, router } from '../trpc';

export const draftsRouter = router({
  get: agentProcedure
    .input(z.object({ caseId: z.uuid() }))
    .query(({ ctx, input }) => getDraft({ db: db(), userId: ctx.user.id, caseId: input.caseId })),

  save: agentProcedure
    .input(
      z.object({
        caseId: z.uuid(),
        mode: z.enum(composerMode.enumValues),
        bodyHtml: z.string().max(MAX_DRAFT_HTML_CHARS),
        bodyText: z.string().max(MAX_DRAFT_TEXT_CHARS),
        toText: z.string().max(MAX_DRAFT_LINE_CHARS),
        ccText: z.string().max(MAX_DRAFT_LINE_CHARS),
        subject: z.string().max(MAX_DRAFT_LINE_CHARS),
      }),
    )
    .mutation(({ ctx, input: { caseId, ...draft } }) => saveDraft({ db: db(), userId: ctx.user.id, caseId, draft })),

  discard: agentProcedure
    .input(z.object({ caseId: z.uuid() }))
    .mutation(({ ctx, input }) => discardDraft({ db: db(), userId: ctx.user.id, caseId: input.caseId })),
});

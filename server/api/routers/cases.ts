import { z } from 'zod';
import { db } from '../../db/client';
import { MAX_CASE_NUMBER } from '../../domain/case-number';
import { CASE_STATUSES } from '../../domain/case-status';
import { MAX_SEARCH_CHARS } from '../../domain/case-search';
import { setCaseSpam, updateCase } from '../../services/case-actions';
import { getCaseMergeInfo, mergeCase, moveMessage, splitCase, undoMerge } from '../../services/case-merge';
import { listCaseOptions } from '../../services/case-options';
import { getMessageHtml } from '../../services/case-thread';
import { getCase, listCases, SEARCH_STAGES } from '../../services/cases';
import { agentProcedure, router } from '../trpc';

const status = z.enum(CASE_STATUSES);
const optionalId = z.uuid().nullish();
const caseNumber = z.number().int().min(1).max(MAX_CASE_NUMBER);

export const casesRouter = router({
  list: agentProcedure
    .input(
      z.object({
        limit: z.number().int().min(1).max(100).default(50),
        cursor: z.object({ at: z.iso.datetime({ precision: 6 }), id: z.uuid(), stage: z.enum(SEARCH_STAGES).optional() }).nullish(),
        status: status.nullish(),
        processorId: optionalId,
        assignee: z.union([z.uuid(), z.literal('unassigned')]).nullish(),
        mine: z.boolean().default(false),
        caseTypeId: optionalId,
        casePriorityId: optionalId,
        spam: z.boolean().default(false),
        search: z.string().max(MAX_SEARCH_CHARS).nullish(),
      }),
    )
    .query(({ ctx, input: { limit, cursor, ...filters } }) => listCases({ db: db(), viewerId: ctx.user.id, filters, cursor, limit })),

  options: agentProcedure.query(() => listCaseOptions({ db: db() })),

  get: agentProcedure
    .input(z.object({ number: z.number().int().min(1).max(MAX_CASE_NUMBER) }))
    .query(({ input }) => getCase({ db: db(), number: input.number })),

  messageHtml: agentProcedure
    .input(z.object({ messageId: z.uuid(), allowRemoteImages: z.boolean() }))
    .query(({ input }) => getMessageHtml({ db: db(), messageId: input.messageId, allowRemoteImages: input.allowRemoteImages })),

  update: agentProcedure
    .input(
      z.object({
        caseId: z.uuid(),
        status: status.optional(),
        assignedToId: z.uuid().nullable().optional(),
        managedById: z.uuid().nullable().optional(),
        caseTypeId: z.uuid().nullable().optional(),
        casePriorityId: z.uuid().nullable().optional(),
      }),
    )
    .mutation(({ ctx, input: { caseId, ...changes } }) => updateCase({ db: db(), actor: ctx.user, caseId, changes })),

  // Case work (server/services/case-merge.ts): merge into another case and undo it, split, move a message.
  mergeInfo: agentProcedure
    .input(z.object({ caseId: z.uuid() }))
    .query(({ input }) => getCaseMergeInfo({ db: db(), caseId: input.caseId })),

  merge: agentProcedure
    .input(z.object({ caseId: z.uuid(), targetNumber: caseNumber }))
    .mutation(({ ctx, input }) => mergeCase({ db: db(), actor: ctx.user, sourceCaseId: input.caseId, targetNumber: input.targetNumber })),

  undoMerge: agentProcedure
    .input(z.object({ caseId: z.uuid() }))
    .mutation(({ ctx, input }) => undoMerge({ db: db(), actor: ctx.user, caseId: input.caseId })),

  split: agentProcedure
    .input(z.object({ messageId: z.uuid(), withFollowing: z.boolean() }))
    .mutation(({ ctx, input }) => splitCase({ db: db(), actor: ctx.user, ...input })),

  moveMessage: agentProcedure
    .input(z.object({ messageId: z.uuid(), targetNumber: caseNumber }))
    .mutation(({ ctx, input }) => moveMessage({ db: db(), actor: ctx.user, ...input })),

  setSpam: agentProcedure
    .input(z.object({ caseId: z.uuid(), spam: z.boolean() }))
    .mutation(({ ctx, input }) => setCaseSpam({ db: db(), actor: ctx.user, caseId: input.caseId, spam: input.spam })),
});

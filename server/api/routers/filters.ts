import { z } from 'zod';
import { db } from '../../db/client';
import { filterSettingsSchema, updateFilterSchema } from '../../domain/filter-settings';
import { createFilter, deleteFilter, loadFilterRules, reorderFilters, tryFilters, updateFilter } from '../../services/filters';
import { adminProcedure, router } from '../trpc';

export const filtersRouter = router({
  list: adminProcedure
    .input(z.object({ processorId: z.uuid() }))
    .query(({ input }) => loadFilterRules({ db: db(), processorId: input.processorId })),
  create: adminProcedure.input(filterSettingsSchema).mutation(({ ctx, input }) => createFilter({ db: db(), actor: ctx.user, input })),
  update: adminProcedure.input(updateFilterSchema).mutation(({ ctx, input }) => updateFilter({ db: db(), actor: ctx.user, input })),
  delete: adminProcedure.input(z.object({ id: z.uuid() })).mutation(({ ctx, input }) => deleteFilter({ db: db(), actor: ctx.user, id: input.id })),
  reorder: adminProcedure
    .input(z.object({ processorId: z.uuid(), orderedIds: z.array(z.uuid()).max(500) }))
    .mutation(({ ctx, input }) => reorderFilters({ db: db(), actor: ctx.user, ...input })),
  try: adminProcedure
    .input(z.object({ processorId: z.uuid(), raw: z.string().min(1, 'Paste a message to try.').max(1_000_000, 'Paste at most 1 MB.') }))
    .mutation(({ input }) => tryFilters({ db: db(), processorId: input.processorId, raw: input.raw })),
});

import { z } from 'zod';
import { db } from '../../db/client';
import { listQuarantine, retryQuarantined } from '../../services/quarantine';
import { adminProcedure, router } from '../trpc';

export const quarantineRouter = router({
  list: adminProcedure
    .input(
      z.object({
        limit: z.number().int().min(1).max(100).default(50),
        includeResolved: z.boolean().default(false),
        cursor: z.object({ createdAt: z.date(), id: z.uuid() }).nullish(),
      }),
    )
    .query(({ input }) => listQuarantine({ db: db(), limit: input.limit, cursor: input.cursor ?? undefined, includeResolved: input.includeResolved })),
  retry: adminProcedure
    .input(z.object({ id: z.uuid() }))
    .mutation(({ ctx, input }) => retryQuarantined({ db: db(), quarantineId: input.id, actor: ctx.user })),
});

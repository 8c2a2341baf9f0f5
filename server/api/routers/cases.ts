import { z } from 'zod';
import { db } from '../../db/client';
import { listCases } from '../../services/cases';
import { agentProcedure, router } from '../trpc';

export const casesRouter = router({
  list: agentProcedure
    .input(
      z.object({
        limit: z.number().int().min(1).max(100).default(50),
        mine: z.boolean().default(false),
        cursor: z.object({ lastActivityAt: z.date(), id: z.uuid() }).nullish(),
      }),
    )
    .query(({ ctx, input }) =>
      listCases({ db: db(), limit: input.limit, cursor: input.cursor, assignedToId: input.mine ? ctx.user.id : null }),
    ),
});

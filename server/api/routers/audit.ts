import { z } from 'zod';
import { db } from '../../db/client';
import { listAudit } from '../../services/audit';
import { adminProcedure, router } from '../trpc';

export const auditRouter = router({
  list: adminProcedure
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50), cursor: z.number().int().nullish() }))
    .query(({ input }) => listAudit({ db: db(), limit: input.limit, beforeId: input.cursor })),
});

import { db } from '../../db/client';
import { listCatalog } from '../../services/catalog';
import { agentProcedure, router } from '../trpc';

export const catalogRouter = router({
  list: agentProcedure.query(() => listCatalog({ db: db() })),
});

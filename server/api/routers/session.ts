import { agentProcedure, router } from '../trpc';

export const sessionRouter = router({
  me: agentProcedure.query(({ ctx }) => ctx.user),
});

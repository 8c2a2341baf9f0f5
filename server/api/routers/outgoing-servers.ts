// A processor's outgoing mail settings and "Send a test mail" (server/services/outgoing-servers.ts). Admins only.
import { z } from 'zod';
import { db } from '../../db/client';
import { outgoingServerSchema } from '../../domain/outgoing-server';
import { env } from '../../env';
import { getOutgoingServer, testOutgoingServer, updateOutgoingServer } from '../../services/outgoing-servers';
import { adminProcedure, router } from '../trpc';

export const outgoingServersRouter = router({
  get: adminProcedure.input(z.object({ processorId: z.uuid() })).query(({ input }) => getOutgoingServer({ db: db(), processorId: input.processorId })),
  update: adminProcedure
    .input(outgoingServerSchema)
    .mutation(({ ctx, input }) => updateOutgoingServer({ db: db(), actor: ctx.user, key: env().secretKey, input })),
  test: adminProcedure
    .input(z.object({ settings: outgoingServerSchema, to: z.email('Enter the address to send the test mail to.') }))
    .mutation(({ ctx, input }) => testOutgoingServer({ db: db(), actor: ctx.user, key: env().secretKey, input: input.settings, to: input.to })),
});

import { z } from 'zod';
import { db } from '../../db/client';
import { createProcessorSchema, updateProcessorSchema } from '../../domain/processor-settings';
import { env } from '../../env';
import {
  createProcessor,
  deleteProcessor,
  getProcessor,
  listProcessors,
  setProcessorActive,
  updateProcessor,
} from '../../services/processors';
import { getOutgoingMailStatus } from '../../services/outgoing-mail';
import { testProcessorConnection } from '../../services/processor-connection';
import { adminProcedure, router } from '../trpc';

const id = z.object({ id: z.uuid() });

export const processorsRouter = router({
  list: adminProcedure.query(() => listProcessors({ db: db() })),
  get: adminProcedure.input(id).query(({ input }) => getProcessor({ db: db(), id: input.id })),
  outgoingMail: adminProcedure.query(() => getOutgoingMailStatus({ db: db(), liveWithinMs: env().LEASE_TTL_MS })),
  create: adminProcedure
    .input(createProcessorSchema)
    .mutation(({ ctx, input }) => createProcessor({ db: db(), actor: ctx.user, key: env().secretKey, input })),
  update: adminProcedure
    .input(updateProcessorSchema)
    .mutation(({ ctx, input }) => updateProcessor({ db: db(), actor: ctx.user, key: env().secretKey, input })),
  setActive: adminProcedure
    .input(z.object({ id: z.uuid(), active: z.boolean() }))
    .mutation(({ ctx, input }) => setProcessorActive({ db: db(), actor: ctx.user, ...input })),
  delete: adminProcedure.input(id).mutation(({ ctx, input }) => deleteProcessor({ db: db(), actor: ctx.user, id: input.id })),
  testConnection: adminProcedure
    .input(
      z.object({
        id: z.uuid().optional(),
        type: z.enum(['imap', 'pop3']).default('imap'),
        host: z.string().trim().min(1, 'Enter the mail server.'),
        port: z.coerce.number().int().min(1, 'Ports run from 1 to 65535.').max(65535, 'Ports run from 1 to 65535.'),
        useSsl: z.boolean(),
        login: z.string().trim().min(1, 'Enter the login name of the mailbox.'),
        password: z.string().max(1000).optional(),
        allowUntrustedCert: z.boolean().default(false),
        allowCleartextLogin: z.boolean().default(false),
      }),
    )
    .mutation(({ ctx, input }) => testProcessorConnection({ db: db(), actor: ctx.user, key: env().secretKey, input, oauthConfig: env() })),
});

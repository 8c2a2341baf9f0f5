import { z } from 'zod';
import { db } from '../../db/client';
import { MAX_SEARCH_CHARS } from '../../domain/case-search';
import { getContact, listContacts, updateContact } from '../../services/contacts';
import { agentProcedure, router } from '../trpc';

const name = z.string().trim().max(200, 'Use at most 200 characters.');

export const contactsRouter = router({
  list: agentProcedure
    .input(
      z.object({
        limit: z.number().int().min(1).max(100).default(50),
        cursor: z.object({ at: z.iso.datetime({ precision: 6 }), id: z.uuid() }).nullish(),
        search: z.string().max(MAX_SEARCH_CHARS).nullish(),
      }),
    )
    .query(({ input }) => listContacts({ db: db(), search: input.search, cursor: input.cursor, limit: input.limit })),

  get: agentProcedure.input(z.object({ id: z.uuid() })).query(({ input }) => getContact({ db: db(), id: input.id })),

  update: agentProcedure
    .input(
      z
        .object({
          id: z.uuid(),
          firstName: name,
          lastName: name,
          email: z.string().trim().pipe(z.email('Enter a valid email address.')),
        })
        .refine((c) => c.firstName || c.lastName, { path: ['firstName'], message: 'Enter a first or a last name.' }),
    )
    .mutation(({ ctx, input }) => updateContact({ db: db(), actor: ctx.user, input })),
});

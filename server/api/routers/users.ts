import { z } from 'zod';
import { db } from '../../db/client';
import { createUser, listUsers, updateUser } from '../../services/users';
import { adminProcedure, router } from '../trpc';

const password = z.string().min(10, 'Use at least 10 characters.').max(200);

export const usersRouter = router({
  list: adminProcedure.query(() => listUsers({ db: db() })),
  create: adminProcedure
    .input(
      z.object({
        email: z.email('Enter a valid email address.'),
        name: z.string().trim().min(1, 'Enter a name.').max(200),
        role: z.enum(['admin', 'agent']),
        password,
      }),
    )
    .mutation(({ ctx, input }) => createUser({ db: db(), actor: ctx.user, input })),
  update: adminProcedure
    .input(
      z.object({
        id: z.uuid(),
        name: z.string().trim().min(1, 'Enter a name.').max(200).optional(),
        role: z.enum(['admin', 'agent']).optional(),
        active: z.boolean().optional(),
        password: password.optional(),
      }),
    )
    .mutation(({ ctx, input }) => updateUser({ db: db(), actor: ctx.user, input })),
});

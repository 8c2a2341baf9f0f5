// OAuth2 sign-in for mailboxes: the providers (CRM Admin → OAuth providers) and "Connect with …" / "Reconnect".
// Admins only. No procedure returns a token or a client secret (server/api/oauth.db.test.ts checks every output).
import { z } from 'zod';
import { db } from '../../db/client';
import { env } from '../../env';
import { AppError } from '../../errors';
import { startOAuthConnect } from '../../services/oauth-connect';
import { deleteOAuthProvider, listOAuthProviders, saveOAuthProvider } from '../../services/oauth-providers';
import { adminProcedure, router } from '../trpc';

const providerInput = z.object({
  id: z.uuid().optional(),
  name: z.string().trim().min(1, 'Give the provider a name, like "Contoso Microsoft 365".').max(100),
  kind: z.enum(['microsoft', 'google', 'custom']),
  issuerUrl: z.string().trim().max(500).default(''),
  tenantId: z.string().trim().max(200).nullable().optional(),
  clientId: z.string().trim().min(1, 'Enter the client (application) id.').max(500),
  clientSecret: z.string().max(2000).optional(),
  secretExpiresOn: z.iso.date('Enter a date such as 2027-06-30, or leave it empty.').nullable().optional().or(z.literal('')),
  scopes: z.string().trim().min(1, 'Enter the scopes to ask for.').max(2000),
});

export const oauthRouter = router({
  providers: adminProcedure.query(() => listOAuthProviders({ db: db(), config: env() })),
  saveProvider: adminProcedure
    .input(providerInput)
    .mutation(({ ctx, input }) =>
      saveOAuthProvider({ db: db(), actor: ctx.user, key: env().secretKey, input: { ...input, secretExpiresOn: input.secretExpiresOn || null } }),
    ),
  deleteProvider: adminProcedure.input(z.object({ id: z.uuid() })).mutation(async ({ ctx, input }) => {
    await deleteOAuthProvider({ db: db(), actor: ctx.user, id: input.id });
    return { ok: true as const };
  }),
  /** Starts Connect / Reconnect: where to send the browser. The state is bound to this session. */
  connect: adminProcedure.input(z.object({ processorId: z.uuid() })).mutation(async ({ ctx, input }) => {
    if (!ctx.sessionId) throw new AppError('UNAUTHORIZED', 'Sign in to continue.');
    const url = await startOAuthConnect({
      db: db(),
      key: env().secretKey,
      config: env(),
      session: { sessionId: ctx.sessionId, user: ctx.user },
      processorId: input.processorId,
    });
    return { url };
  }),
});

// The map of the API layer.
// 1. Context: who is asking (server/auth/session.ts), built per request.
// 2. Error formatter: AppError codes become HTTP statuses; field errors travel to forms.
// 3. Procedures: public, agent (any signed-in user), admin (role checked on the server).
//    Every mutation refuses a request from another site's page (server/auth/request-origin.ts).
import { initTRPC, TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import superjson from 'superjson';
import { ZodError } from 'zod';
import { isForeignOrigin } from '../auth/request-origin';
import { type SessionUser, sessionFromCookies } from '../auth/session';
import { env } from '../env';
import { type AppErrorStatus, type FieldErrors, isAppError } from '../errors';
import { createLogger } from '../log';

// sessionId: the signed-in browser session, for what must stay bound to it (an OAuth2 connect flow's state).
export type Context = { user: SessionUser | null; sessionId: string | null; foreignOrigin: boolean };

export async function createContext({ headers }: { headers: Headers }): Promise<Context> {
  const session = await sessionFromCookies(headers.get('cookie'));
  return {
    user: session?.user ?? null,
    sessionId: session?.sessionId ?? null,
    foreignOrigin: isForeignOrigin({
      origin: headers.get('origin'),
      secFetchSite: headers.get('sec-fetch-site'),
      host: headers.get('host'),
      publicUrl: env().publicUrl,
    }),
  };
}

/** tRPC's code for each HTTP status an AppError has (server/errors.ts), so the codes are listed once, there. */
const TRPC_CODE_BY_STATUS: Record<AppErrorStatus, TRPC_ERROR_CODE_KEY> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
};

let log: ReturnType<typeof createLogger> | undefined;

function fieldErrorsFromZod(error: ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.join('.') || '_form';
    out[key] ??= issue.message;
  }
  return out;
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const appCode = isAppError(cause) ? cause.code : null;
    const fieldErrors = cause instanceof ZodError ? fieldErrorsFromZod(cause) : isAppError(cause) ? cause.fieldErrors : undefined;
    return { ...shape, data: { ...shape.data, appCode, fieldErrors: fieldErrors ?? null } };
  },
});

/** Turns thrown AppErrors into tRPC errors; anything else is a crash and is logged. */
const mapErrors = t.middleware(async ({ next, path }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (isAppError(cause)) {
    throw new TRPCError({ code: TRPC_CODE_BY_STATUS[cause.status], message: cause.message, cause });
  }
  if (result.error.code === 'INTERNAL_SERVER_ERROR') {
    log ??= createLogger('api');
    log.error({ err: cause ?? result.error, path }, 'procedure failed');
  }
  return result;
});

export const router = t.router;

const refuseForeignMutations = t.middleware(({ ctx, type, next }) => {
  if (type === 'mutation' && ctx.foreignOrigin) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Not allowed: this request came from another site.' });
  }
  return next();
});

export const publicProcedure = t.procedure.use(mapErrors).use(refuseForeignMutations);

export const agentProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to continue.' });
  return next({ ctx: { user: ctx.user } });
});

export const adminProcedure = agentProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== 'admin') {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Not allowed: this needs the admin role.' });
  }
  return next({ ctx });
});

// The app router: one sub-router per noun.
import { casesRouter } from './routers/cases';
import { sessionRouter } from './routers/session';
import { usersRouter } from './routers/users';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  cases: casesRouter,
  session: sessionRouter,
  users: usersRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);

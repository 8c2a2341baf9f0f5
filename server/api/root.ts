// The app router: one sub-router per noun.
import { auditRouter } from './routers/audit';
import { casesRouter } from './routers/cases';
import { catalogRouter } from './routers/catalog';
import { contactsRouter } from './routers/contacts';
import { draftsRouter } from './routers/drafts';
import { filtersRouter } from './routers/filters';
import { oauthRouter } from './routers/oauth';
import { outgoingServersRouter } from './routers/outgoing-servers';
import { processorsRouter } from './routers/processors';
import { quarantineRouter } from './routers/quarantine';
import { repliesRouter } from './routers/replies';
import { sessionRouter } from './routers/session';
import { usersRouter } from './routers/users';
import { router } from './trpc';

export const appRouter = router({
  audit: auditRouter,
  cases: casesRouter,
  catalog: catalogRouter,
  contacts: contactsRouter,
  drafts: draftsRouter,
  filters: filtersRouter,
  oauth: oauthRouter,
  outgoingServers: outgoingServersRouter,
  processors: processorsRouter,
  quarantine: quarantineRouter,
  replies: repliesRouter,
  session: sessionRouter,
  users: usersRouter,
});

export type AppRouter = typeof appRouter;

// The whole schema, one file per area; drizzle-kit and the db client read it from here.
export * from './users';
export * from './catalog';
export * from './processors';
export * from './oauth';
export * from './cases';
export * from './outbox';
export * from './audit';
export * from './answering';
export * from './case-merge';
export * from './pop3';

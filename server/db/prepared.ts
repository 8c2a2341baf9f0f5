// drizzle runs every query through postgres.js unprepared, and postgres.js sends an unprepared statement
// with parameters alone first (Parse, Describe), its parameters only once Postgres has answered, and holds
// back every statement after it on that connection meanwhile: each statement of an ingest round was a round
// trip and a fresh parse and plan, and the round's statements never overlapped with the worker building the
// next ones. Run prepared, a statement is parsed once per connection (postgres.js keeps it by its text and
// parameter types; a cached plan made stale by a migration is prepared again) and the ones after it go out
// at once. For the ingest path's statements, which repeat with every batch.
export function runPrepared<R>(query: { prepare(name: string): { execute(): Promise<R> } }): Promise<R> {
  return query.prepare('leopard_ingest').execute();
}

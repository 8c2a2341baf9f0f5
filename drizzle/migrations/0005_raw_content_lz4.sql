-- Raw mail and attachment bytes are compressed with lz4 rather than Postgres's default pglz, where the server
-- was built with lz4 (Debian's and most builds are): pglz cost about 0.4 ms of database CPU per imported
-- message of ~30 KB (bench/scenarios/import-throughput.ts), lz4 a fraction of that. Only new values change.
-- A server without lz4 keeps pglz and says so; nothing else depends on the method.
DO $$
BEGIN
  ALTER TABLE "raw_messages" ALTER COLUMN "content" SET COMPRESSION lz4;
  ALTER TABLE "attachments" ALTER COLUMN "content" SET COMPRESSION lz4;
EXCEPTION WHEN others THEN
  RAISE NOTICE 'raw mail stays compressed with pglz: %', SQLERRM;
END $$;

-- Raw mail and attachment bytes are no longer compressed by a server without lz4 (the embedded PostgreSQL
-- has none, so 0005 left them on pglz). pglz cost ~0.4 ms of database CPU per imported message of ~30 KB
-- (a third of the database's work on an import) to save ~16% of their space: mail bytes are mostly base64
-- of files that are compressed already. Stored as they are (STORAGE EXTERNAL), reading the start of a raw
-- message (a quarantine preview) also needs only its first slices. Where lz4 is in use it stays: it is cheap.
-- Only new values change.
DO $$
BEGIN
  IF (SELECT attcompression FROM pg_attribute WHERE attrelid = 'raw_messages'::regclass AND attname = 'content') IS DISTINCT FROM 'l' THEN
    ALTER TABLE "raw_messages" ALTER COLUMN "content" SET STORAGE EXTERNAL;
  END IF;
  IF (SELECT attcompression FROM pg_attribute WHERE attrelid = 'attachments'::regclass AND attname = 'content') IS DISTINCT FROM 'l' THEN
    ALTER TABLE "attachments" ALTER COLUMN "content" SET STORAGE EXTERNAL;
  END IF;
END $$;

-- An attachment of inbound mail names its part of the raw message instead of holding its bytes again
-- (server/services/attachments.ts decodes it from there); older rows keep their bytes and no part.
ALTER TABLE "attachments" ADD COLUMN "raw_part" integer;
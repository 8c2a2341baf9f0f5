DROP INDEX "outbox_recipient_idx";--> statement-breakpoint
CREATE INDEX "outbox_recipient_key_idx" ON "outbox" USING btree (regexp_replace(lower("to_address"), '[+][^@]*@', '@'),"created_at");--> statement-breakpoint
CREATE INDEX "outbox_processor_created_idx" ON "outbox" USING btree ("processor_id","created_at");
ALTER TABLE "outbox" ADD COLUMN "case_message_id" uuid;--> statement-breakpoint
ALTER TABLE "outbox" ADD CONSTRAINT "outbox_case_message_id_case_messages_id_fk" FOREIGN KEY ("case_message_id") REFERENCES "public"."case_messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "quarantine_raw_message_key" ON "quarantine" USING btree ("raw_message_id");
ALTER TABLE "email_processors" ADD COLUMN "authserv_id" text;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "dmarc_fail_new_contact" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "dmarc_fail_no_auto_reply" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "dmarc_fail_flag" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "case_messages" ADD COLUMN "authentication" jsonb;--> statement-breakpoint
ALTER TABLE "case_messages" ADD COLUMN "sender_flagged" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "case_messages" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS (to_tsvector('leopard_search'::regconfig, leopard_message_search_text("case_messages"."subject", "case_messages"."from_name", "case_messages"."from_address", "case_messages"."text_body"))) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "subject_search" "tsvector" GENERATED ALWAYS AS (to_tsvector('leopard_search'::regconfig, leopard_search_text("cases"."subject"))) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "search_vector" "tsvector" DEFAULT ''::tsvector NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "unverified_sender" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "case_messages_sender_flagged_idx" ON "case_messages" USING btree ("case_id") WHERE "case_messages"."sender_flagged";--> statement-breakpoint
CREATE INDEX "cases_subject_search_idx" ON "cases" USING gin ("subject_search");--> statement-breakpoint
CREATE INDEX "cases_search_idx" ON "cases" USING gin ("search_vector");
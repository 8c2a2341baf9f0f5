CREATE TYPE "public"."sender_source" AS ENUM('from', 'sender', 'reply_to', 'none');--> statement-breakpoint
ALTER TABLE "case_messages" ADD COLUMN "sender_source" "sender_source" DEFAULT 'from' NOT NULL;--> statement-breakpoint
ALTER TABLE "case_messages" ADD COLUMN "delivery_report" jsonb;
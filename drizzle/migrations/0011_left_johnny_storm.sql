CREATE TYPE "public"."outgoing_mode" AS ENUM('system', 'smtp');--> statement-breakpoint
CREATE TYPE "public"."smtp_security" AS ENUM('starttls', 'tls');--> statement-breakpoint
CREATE TYPE "public"."sent_copy_status" AS ENUM('off', 'pending', 'done', 'failed');--> statement-breakpoint
ALTER TYPE "public"."message_direction" ADD VALUE 'note';--> statement-breakpoint
ALTER TYPE "public"."outbox_kind" ADD VALUE 'reply';--> statement-breakpoint
ALTER TYPE "public"."outbox_status" ADD VALUE 'sending' BEFORE 'sent';--> statement-breakpoint
ALTER TYPE "public"."outbox_status" ADD VALUE 'unknown';--> statement-breakpoint
CREATE TABLE "reply_uploads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"case_id" uuid NOT NULL,
	"uploader_id" uuid NOT NULL,
	"filename" text NOT NULL,
	"content_type" text DEFAULT 'application/octet-stream' NOT NULL,
	"size" bigint NOT NULL,
	"content" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "outgoing_mode" "outgoing_mode" DEFAULT 'system' NOT NULL;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "smtp_host" text;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "smtp_port" integer;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "smtp_security" "smtp_security" DEFAULT 'starttls' NOT NULL;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "smtp_allow_untrusted_cert" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "smtp_login" text;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "smtp_password_ciphertext" text;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "signature" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "copy_to_sent" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "case_messages" ADD COLUMN "author_id" uuid;--> statement-breakpoint
ALTER TABLE "case_messages" ADD COLUMN "bounce_of_id" uuid;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "to_list" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "cc_list" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "server_response" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "attempt_token" uuid;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "claimed_by" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "claimed_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "handover_started_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "transport" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "bounced_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "bounce" jsonb;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "sent_copy_status" "sent_copy_status" DEFAULT 'off' NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "sent_copy_error" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "sent_copy_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "sent_copy_next_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "reply_uploads" ADD CONSTRAINT "reply_uploads_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reply_uploads" ADD CONSTRAINT "reply_uploads_uploader_id_users_id_fk" FOREIGN KEY ("uploader_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reply_uploads_case_uploader_idx" ON "reply_uploads" USING btree ("case_id","uploader_id");--> statement-breakpoint
ALTER TABLE "case_messages" ADD CONSTRAINT "case_messages_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_messages" ADD CONSTRAINT "case_messages_bounce_of_id_case_messages_id_fk" FOREIGN KEY ("bounce_of_id") REFERENCES "public"."case_messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "outbox_claims_idx" ON "outbox" USING btree ("status","claimed_until");--> statement-breakpoint
CREATE INDEX "outbox_sent_copy_idx" ON "outbox" USING btree ("sent_copy_status","sent_copy_next_at");--> statement-breakpoint
CREATE INDEX "outbox_message_id_idx" ON "outbox" USING btree ("message_id");
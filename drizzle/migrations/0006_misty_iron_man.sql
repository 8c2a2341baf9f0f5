CREATE TYPE "public"."outbox_error_kind" AS ENUM('no_transport', 'transport');--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "allow_cleartext_login" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "outbound_transport" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "last_error_kind" "outbox_error_kind";
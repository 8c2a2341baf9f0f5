ALTER TABLE "email_processors" ADD COLUMN "check_interval_seconds" integer;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "import_is_resync" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "last_error_code" text;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "delivery_delays_ms" integer[] DEFAULT '{}'::integer[] NOT NULL;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "unannounced_mail_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "listing_discrepancy" text;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "listing_discrepancy_at" timestamp with time zone;
ALTER TYPE "public"."processor_type" ADD VALUE 'pop3';--> statement-breakpoint
CREATE TABLE "pop3_taken" (
	"processor_id" uuid NOT NULL,
	"uidl" text NOT NULL,
	"uid" bigint NOT NULL,
	"size" integer NOT NULL,
	"stored_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "pop3_taken_processor_id_uidl_pk" PRIMARY KEY("processor_id","uidl")
);
--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "poll_interval_seconds" integer;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "pop3_delete_after_days" integer;--> statement-breakpoint
ALTER TABLE "pop3_taken" ADD CONSTRAINT "pop3_taken_processor_id_email_processors_id_fk" FOREIGN KEY ("processor_id") REFERENCES "public"."email_processors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "pop3_taken_due_idx" ON "pop3_taken" USING btree ("processor_id","stored_at");
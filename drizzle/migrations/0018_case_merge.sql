CREATE TYPE "public"."case_move_kind" AS ENUM('merge', 'split', 'move');--> statement-breakpoint
CREATE TABLE "case_moves" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" "case_move_kind" NOT NULL,
	"source_case_id" uuid NOT NULL,
	"target_case_id" uuid NOT NULL,
	"actor_id" uuid,
	"message_ids" uuid[] NOT NULL,
	"outbox_ids" uuid[] NOT NULL,
	"target_message_count" integer NOT NULL,
	"target_contact_id" uuid,
	"target_took_contact" boolean DEFAULT false NOT NULL,
	"source_status" "case_status" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"undone_at" timestamp with time zone,
	"undone_by_id" uuid
);
--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "merged_into_id" uuid;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "merged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "case_moves" ADD CONSTRAINT "case_moves_source_case_id_cases_id_fk" FOREIGN KEY ("source_case_id") REFERENCES "public"."cases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_moves" ADD CONSTRAINT "case_moves_target_case_id_cases_id_fk" FOREIGN KEY ("target_case_id") REFERENCES "public"."cases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_moves" ADD CONSTRAINT "case_moves_actor_id_users_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_moves" ADD CONSTRAINT "case_moves_target_contact_id_contacts_id_fk" FOREIGN KEY ("target_contact_id") REFERENCES "public"."contacts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_moves" ADD CONSTRAINT "case_moves_undone_by_id_users_id_fk" FOREIGN KEY ("undone_by_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_moves_source_idx" ON "case_moves" USING btree ("source_case_id","created_at");--> statement-breakpoint
CREATE INDEX "case_moves_target_idx" ON "case_moves" USING btree ("target_case_id","created_at");--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_merged_into_id_cases_id_fk" FOREIGN KEY ("merged_into_id") REFERENCES "public"."cases"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cases_merged_into_idx" ON "cases" USING btree ("merged_into_id") WHERE "cases"."merged_into_id" is not null;
CREATE TABLE "processor_leases" (
	"processor_id" uuid PRIMARY KEY NOT NULL,
	"lease_owner" text NOT NULL,
	"lease_expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX "email_processors_lease_idx";--> statement-breakpoint
ALTER TABLE "processor_leases" ADD CONSTRAINT "processor_leases_processor_id_email_processors_id_fk" FOREIGN KEY ("processor_id") REFERENCES "public"."email_processors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "processor_leases_owner_idx" ON "processor_leases" USING btree ("lease_owner","lease_expires_at");--> statement-breakpoint
INSERT INTO "processor_leases" ("processor_id", "lease_owner", "lease_expires_at") SELECT "id", "lease_owner", "lease_expires_at" FROM "email_processors" WHERE "lease_owner" IS NOT NULL AND "lease_expires_at" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "email_processors" DROP COLUMN "lease_owner";--> statement-breakpoint
ALTER TABLE "email_processors" DROP COLUMN "lease_expires_at";
ALTER TABLE "workers" ADD COLUMN "liveness_key" integer;--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "liveness_server_start" timestamp with time zone;
CREATE TYPE "public"."processor_auth_method" AS ENUM('password', 'oauth2');--> statement-breakpoint
CREATE TYPE "public"."processor_oauth_state" AS ENUM('connected', 'reconnect_needed');--> statement-breakpoint
CREATE TYPE "public"."oauth_provider_kind" AS ENUM('microsoft', 'google', 'custom');--> statement-breakpoint
CREATE TABLE "oauth_flows" (
	"state" text PRIMARY KEY NOT NULL,
	"code_verifier_ciphertext" text NOT NULL,
	"nonce" text NOT NULL,
	"session_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"processor_id" uuid NOT NULL,
	"provider_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "oauth_providers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"kind" "oauth_provider_kind" NOT NULL,
	"issuer_url" text NOT NULL,
	"tenant_id" text,
	"client_id" text NOT NULL,
	"client_secret_ciphertext" text,
	"secret_expires_on" date,
	"scopes" text NOT NULL,
	"env_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "oauth_providers_env_key_unique" UNIQUE("env_key")
);
--> statement-breakpoint
ALTER TABLE "email_processors" ALTER COLUMN "password_ciphertext" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "auth_method" "processor_auth_method" DEFAULT 'password' NOT NULL;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "oauth_provider_id" uuid;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "oauth_refresh_token_ciphertext" text;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "oauth_access_token_ciphertext" text;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "oauth_access_token_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "oauth_refreshed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "oauth_state" "processor_oauth_state";--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "oauth_error" text;--> statement-breakpoint
ALTER TABLE "email_processors" ADD COLUMN "oauth_error_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "oauth_flows" ADD CONSTRAINT "oauth_flows_session_id_user_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."user_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth_flows" ADD CONSTRAINT "oauth_flows_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth_flows" ADD CONSTRAINT "oauth_flows_processor_id_email_processors_id_fk" FOREIGN KEY ("processor_id") REFERENCES "public"."email_processors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth_flows" ADD CONSTRAINT "oauth_flows_provider_id_oauth_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."oauth_providers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_processors" ADD CONSTRAINT "email_processors_oauth_provider_id_oauth_providers_id_fk" FOREIGN KEY ("oauth_provider_id") REFERENCES "public"."oauth_providers"("id") ON DELETE restrict ON UPDATE no action;
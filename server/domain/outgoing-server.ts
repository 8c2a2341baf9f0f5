// A processor's outgoing server (issue 12 item 3): the system transport of the worker, or the mailbox's own
// SMTP server, and when a stored password may go to it. The rule of stored mailbox passwords
// (stored-password-reuse.ts) applies to outgoing servers too:
// - A password typed for the SMTP server is sealed together with the settings it was typed for (host, port,
//   login, TLS mode, certificate check) and is opened only for exactly those: a changed setting asks for it
//   again, and even a row changed behind the service's back cannot send it elsewhere.
// - "Same password as the mailbox" (the default) is allowed only while the SMTP host is the mailbox's own
//   IMAP host: the mailbox password was typed for that server, not for any SMTP host an admin names later.
import { z } from 'zod';
import { type MailboxServer, serverSettingsChanged } from './stored-password-reuse';

export const SMTP_SECURITY = ['starttls', 'tls'] as const;
export type SmtpSecurity = (typeof SMTP_SECURITY)[number];

export const SUGGESTED_SMTP_PORTS = [
  { port: 587, label: '587 – submission, STARTTLS', security: 'starttls' },
  { port: 465, label: '465 – submission over TLS', security: 'tls' },
] as const;

export const MAX_SIGNATURE_CHARS = 5_000;

export const outgoingServerSchema = z
  .object({
    processorId: z.uuid(),
    mode: z.enum(['system', 'smtp']),
    smtpHost: z.string().trim().max(255).default(''),
    smtpPort: z.coerce.number().int().min(1, 'Ports run from 1 to 65535.').max(65535, 'Ports run from 1 to 65535.').default(587),
    smtpSecurity: z.enum(SMTP_SECURITY).default('starttls'),
    smtpAllowUntrustedCert: z.boolean().default(false),
    /** Empty: the mailbox's login. */
    smtpLogin: z.string().trim().max(320).default(''),
    /** Typed now; empty keeps the stored one (or the mailbox's, see useMailboxPassword). */
    smtpPassword: z.string().max(1000).default(''),
    useMailboxPassword: z.boolean().default(true),
    signature: z.string().max(MAX_SIGNATURE_CHARS, `At most ${MAX_SIGNATURE_CHARS} characters.`).default(''),
    copyToSent: z.boolean().default(true),
  })
  .superRefine((v, ctx) => {
    if (v.mode === 'smtp' && v.smtpHost === '') ctx.addIssue({ code: 'custom', path: ['smtpHost'], message: 'Enter the SMTP server.' });
  });

export type OutgoingServerInput = z.infer<typeof outgoingServerSchema>;

/** What a sealed SMTP password is bound to. */
export type SmtpBinding = { host: string; port: number; security: SmtpSecurity; login: string; allowUntrustedCert: boolean };

export function asMailboxServer(b: SmtpBinding): MailboxServer {
  return { host: b.host, port: b.port, useSsl: b.security === 'tls', login: b.login, allowUntrustedCert: b.allowUntrustedCert, allowCleartextLogin: false };
}

export function bindingMatches(stored: SmtpBinding, requested: SmtpBinding): boolean {
  return serverSettingsChanged(asMailboxServer(stored), asMailboxServer(requested)).length === 0;
}

function normalHost(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '');
}

/** The mailbox password may be used for SMTP only on the mailbox's own server. */
export function mayUseMailboxPassword(imapHost: string, smtpHost: string): boolean {
  return normalHost(imapHost) === normalHost(smtpHost);
}

export function mailboxPasswordRefusal(imapHost: string, smtpHost: string): string {
  return `The mailbox password is only sent to the mailbox's own server (${imapHost}); type the password for ${smtpHost}.`;
}

/** The sealed form: the password with the settings it was typed for. */
export function encodeSmtpSecret(password: string, binding: SmtpBinding): string {
  return JSON.stringify({ v: 1, password, binding });
}

export function decodeSmtpSecret(plain: string): { password: string; binding: SmtpBinding } | null {
  try {
    const parsed = JSON.parse(plain) as { v?: number; password?: unknown; binding?: SmtpBinding };
    return parsed.v === 1 && typeof parsed.password === 'string' && parsed.binding ? { password: parsed.password, binding: parsed.binding } : null;
  } catch {
    return null;
  }
}

// The email processor form's rules (seed: "Incoming Email Integration Setup"): every field required,
// IMAP only, port 1–65535. The same schema validates on the server and gives the form its messages.
import { z } from 'zod';

export const SUGGESTED_PORTS = [
  { port: 143, label: '143 – IMAP', useSsl: false },
  { port: 585, label: '585 – IMAP-SSL', useSsl: true },
  { port: 993, label: '993 – IMAP over SSL (IMAPS)', useSsl: true },
] as const;

/** POP3's ports: 110 plain (upgraded with STLS), 995 over SSL. */
export const SUGGESTED_POP3_PORTS = [
  { port: 110, label: '110 – POP3', useSsl: false },
  { port: 995, label: '995 – POP3 over SSL (POP3S)', useSsl: true },
] as const;

export type MailboxProtocol = 'imap' | 'pop3';

export function suggestedPorts(type: MailboxProtocol) {
  return type === 'pop3' ? SUGGESTED_POP3_PORTS : SUGGESTED_PORTS;
}

/** The seed suggests SSL for ports 585 and 993. */
export function suggestsSsl(port: number): boolean {
  return SUGGESTED_PORTS.some((p) => p.port === port && p.useSsl);
}

/**
 * What the form says about "Use SSL" for the port typed so far. A suggestion is only words beside
 * the box: the form never ticks or unticks it by itself, so a choice the admin made (or left as it
 * was shown) is never undone by typing a port. Ports other than the seed's three get no advice:
 * servers on custom ports differ.
 */
export function sslAdvice(port: number, useSsl: boolean, type: MailboxProtocol = 'imap'): string | null {
  const known = suggestedPorts(type).find((p) => p.port === port);
  if (!known || known.useSsl === useSsl) return null;
  return known.useSsl
    ? `Port ${port} usually expects SSL: tick Use SSL unless your server says otherwise.`
    : type === 'pop3'
      ? `Port ${port} is usually plain POP3, upgraded with STLS: untick Use SSL unless your server expects SSL on it.`
      : `Port ${port} is usually plain IMAP, upgraded with STARTTLS: untick Use SSL unless your server expects SSL on it.`;
}

export type ConnectionEncryption = 'tls' | 'starttls' | 'none';

/** How "Test connection" names the encryption of the session it opened; `warning` when there was none. */
export function describeEncryption(encryption: ConnectionEncryption, type: MailboxProtocol = 'imap'): { text: string; warning: boolean } {
  switch (encryption) {
    case 'tls':
      return { text: 'Encrypted with SSL/TLS from the first byte.', warning: false };
    case 'starttls':
      return { text: `Encrypted: the connection was upgraded with ${type === 'pop3' ? 'STLS' : 'STARTTLS'} before the login.`, warning: false };
    case 'none':
      return {
        text: 'NOT encrypted: the password and every mail cross the network in cleartext, readable on the way. Use SSL or a server that offers STARTTLS if you can.',
        warning: true,
      };
  }
}

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isValidHost(host: string): boolean {
  if (IPV4.test(host)) return true;
  if (host.includes(':')) return /^\[?[0-9a-f:.]+\]?$/i.test(host) && host.replace(/[[\]]/g, '').split(':').length >= 3;
  if (host.length > 253) return false;
  const labels = host.replace(/\.$/, '').split('.');
  // All-numeric dotted names are malformed IPv4 addresses, not host names.
  if (labels.every((l) => /^\d+$/.test(l))) return false;
  return labels.every((l) => HOST_LABEL.test(l));
}

export const processorSettingsSchema = z.object({
  emailAddress: z.email('Enter the mailbox address, like support@example.com.').max(320),
  name: z.string().trim().min(1, 'Give the processor a name, like "Support".').max(100, 'Keep the name under 100 characters.'),
  active: z.boolean(),
  host: z
    .string()
    .trim()
    .min(1, 'Enter the mail server, like mail.example.com.')
    .refine(isValidHost, 'Enter a host name (mail.example.com) or an IP address.'),
  // POP3: polled, messages told apart by UIDL (worker/pop3-session.ts).
  type: z.enum(['imap', 'pop3'], 'Choose IMAP or POP3.'),
  port: z.coerce
    .number('Enter a port number.')
    .int('Enter a whole number.')
    .min(1, 'Ports run from 1 to 65535.')
    .max(65535, 'Ports run from 1 to 65535.'),
  useSsl: z.boolean(),
  // With OAuth2 it may be left empty: the signed-in account's own mailbox (filled in at Connect).
  login: z.string().trim().max(320),
  // Password, or OAuth2 with one of the providers under CRM Admin → OAuth providers. Optional so that callers
  // written before it keep the password.
  authMethod: z.enum(['password', 'oauth2']).optional(),
  oauthProviderId: z.uuid('Choose the OAuth provider.').nullable().optional(),
  autoReply: z.boolean(),
  allowUntrustedCert: z.boolean().default(false),
  // Optional so that callers written before it keep the safe default (off); see imap-client-options.ts.
  allowCleartextLogin: z.boolean().optional(),
  // "Mark as read on the server" after a message is stored, imported mail included. Optional so that
  // callers written before it keep the behaviour it had (on).
  markSeen: z.boolean().optional(),
  // Seconds between checks for new mail beside push (a NOOP): for servers that announce new mail late.
  checkIntervalSeconds: z
    .number('Enter a number of seconds, or leave it empty.')
    .int('Enter a whole number of seconds.')
    .min(1, 'Check at most once a second.')
    .max(3600, 'Check at least once an hour, or leave it empty.')
    .nullable()
    .optional(),
  // POP3 only (it has no push): seconds between polls; empty means POP3_POLL_INTERVAL_MS (60 s by default).
  pollIntervalSeconds: z
    .number('Enter a number of seconds, or leave it empty.')
    .int('Enter a whole number of seconds.')
    .min(1, 'Poll at most once a second.')
    .max(86_400, 'Poll at least once a day, or leave it empty.')
    .nullable()
    .optional(),
  // POP3 only: empty keeps messages on the server; N deletes each N days after Leopard stored it.
  pop3DeleteAfterDays: z
    .number('Enter a number of days, or leave it empty.')
    .int('Enter a whole number of days.')
    .min(0, 'Enter 0 or more days.')
    .max(3650, 'Keep it under ten years, or leave it empty.')
    .nullable()
    .optional(),
  // Sender authenticity (server/domain/authentication-results.ts): the authserv-id the mailbox's own mail
  // server writes in Authentication-Results; empty means results are not read. Optional so that callers
  // written before it keep it off.
  authservId: z
    .string()
    .trim()
    .max(255, 'An authserv-id is a host name, at most 255 characters.')
    .regex(/^(|\(none\)|[^\s;()"\\]+)$/, 'Enter the name your mail server writes first in Authentication-Results (such as mx.example.com), or (none) for Microsoft 365.')
    .transform((v) => (v === '' ? null : v))
    .nullable()
    .optional(),
  dmarcFailNewContact: z.boolean().optional(),
  dmarcFailNoAutoReply: z.boolean().optional(),
  dmarcFailFlag: z.boolean().optional(),
});

const passwordField = z.string().min(1, 'Enter the mailbox password.').max(1000);

type SignInFields = { authMethod?: unknown; login?: unknown; oauthProviderId?: unknown; password?: unknown };
const isOAuth2 = (v: SignInFields) => v.authMethod === 'oauth2';
const blank = (v: unknown) => typeof v !== 'string' || v.trim() === '';
// Checked even when other fields are wrong, so the form shows every message at once.
const always = { when: () => true };

/** Creating a processor needs a password, unless it signs in with OAuth2 (then it needs its provider). */
export const createProcessorSchema = processorSettingsSchema
  .extend({ password: passwordField.optional() })
  .refine((v: SignInFields) => isOAuth2(v) || !blank(v.password), { ...always, path: ['password'], message: 'Enter the mailbox password.' })
  .refine((v: SignInFields) => isOAuth2(v) || !blank(v.login), { ...always, path: ['login'], message: 'Enter the login name of the mailbox.' })
  .refine((v: SignInFields) => !isOAuth2(v) || !blank(v.oauthProviderId), { ...always, path: ['oauthProviderId'], message: 'Choose the OAuth provider the mailbox signs in with.' });

/** Editing one keeps the stored password unless a new one is typed. */
export const updateProcessorSchema = processorSettingsSchema
  .extend({
    id: z.uuid(),
    password: z.string().max(1000).optional(),
  })
  .refine((v: SignInFields) => isOAuth2(v) || !blank(v.login), { ...always, path: ['login'], message: 'Enter the login name of the mailbox.' })
  .refine((v: SignInFields) => !isOAuth2(v) || !blank(v.oauthProviderId), { ...always, path: ['oauthProviderId'], message: 'Choose the OAuth provider the mailbox signs in with.' });

export type ProcessorSettingsInput = z.infer<typeof processorSettingsSchema>;
export type CreateProcessorInput = z.infer<typeof createProcessorSchema>;
export type UpdateProcessorInput = z.infer<typeof updateProcessorSchema>;

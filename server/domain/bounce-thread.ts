// A bounce (RFC 3464 delivery status notification) threads by the message it returns: its own headers rarely
// name anything of ours (a mailer daemon writes a new mail), but the returned message's Message-ID and
// References do. So for threading, a bounce's In-Reply-To is the returned message's Message-ID and its
// References are extended with the returned message's; a DSN for one of our replies then joins that
// reply's case like any answer would, and never opens a case of its own (nor gets an auto-reply, which
// only new cases get). `bounceOf` says which message of ours it reports on and what it says about it.
import { type DeliveryReport, failedRecipients } from './delivery-status';

export type BounceThreadInput = { inReplyTo: string | null; references: string[]; deliveryReport: DeliveryReport | null };

export function threadHeadersOf(m: BounceThreadInput): { inReplyTo: string | null; references: string[] } {
  const report = m.deliveryReport;
  if (!report || (report.originalMessageId === null && report.originalReferences.length === 0)) return { inReplyTo: m.inReplyTo, references: m.references };
  // References end with the most recent ancestor: the returned message last, so it is tried first.
  const references = [...m.references, ...report.originalReferences, ...(report.originalMessageId ? [report.originalMessageId] : [])];
  return { inReplyTo: report.originalMessageId ?? m.inReplyTo, references: [...new Set(references)] };
}

export type BounceSummary = { recipient: string; status: string | null; diagnostic: string | null };

/** What the outbound message shows as "bounced: <recipient> <status> <diagnostic>"; null when nobody failed (a delay). */
export function bounceSummary(report: DeliveryReport): BounceSummary | null {
  const failed = failedRecipients(report);
  const first = failed[0];
  if (!first) return null;
  const others = failed.length > 1 ? ` (and ${failed.length - 1} more)` : '';
  return { recipient: `${first.finalRecipient ?? first.originalRecipient ?? 'unknown recipient'}${others}`, status: first.status, diagnostic: first.diagnosticCode };
}

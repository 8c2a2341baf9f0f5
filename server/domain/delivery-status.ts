// What a bounce says (RFC 3464 delivery status notifications): which recipients failed, with what status
// and diagnostic, and which message of ours (or the sender's) it is about. Plain functions over text: the
// mail layer (server/mail/delivery-report.ts) finds the message/delivery-status part and the returned
// headers; the report is stored on the case message as it is (case_messages.delivery_report), so a later
// step can also attach a DSN to the outgoing message it names (originalMessageId / originalReferences).
//
// Decisions:
// - Field names are case-insensitive and folded lines are unfolded (RFC 3464 uses RFC 822 header syntax).
// - The address-type prefix (`rfc822;`) is dropped from recipients; the diagnostic keeps its type word
//   (`smtp; 550 …`) minus the `smtp;` prefix, since agents read the server's words, not the type.
// - A per-recipient group without a Final-Recipient and without an Action is noise and is dropped; one
//   with either is kept, so a half-written report still shows what it says.

export type DeliveryAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

export type DeliveryRecipient = {
  /** The address the report is about (Final-Recipient), without its `rfc822;` type. */
  finalRecipient: string | null;
  originalRecipient: string | null;
  /** Lower-cased; an unknown word is kept as written, since it is still what the server said. */
  action: DeliveryAction | string | null;
  /** The enhanced status code, e.g. "5.1.1". */
  status: string | null;
  /** The remote server's words, e.g. "550 5.1.1 <jane@example.com>: Recipient address rejected". */
  diagnosticCode: string | null;
  remoteMta: string | null;
};

export type DeliveryReport = {
  reportingMta: string | null;
  arrivalDate: string | null;
  recipients: DeliveryRecipient[];
  /** Message-ID of the returned message (from its headers), normalized without angle brackets. */
  originalMessageId: string | null;
  /** In-Reply-To and References of the returned message, oldest first: the case it belongs to. */
  originalReferences: string[];
  originalSubject: string | null;
};

type Fields = Map<string, string>;

/** Splits header-syntax text into groups separated by blank lines, each a map of lower-cased field → value. */
function fieldGroups(text: string): Fields[] {
  const groups: Fields[] = [];
  let current: Fields = new Map();
  let last: string | null = null;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (line.trim() === '') {
      if (current.size > 0) groups.push(current);
      current = new Map();
      last = null;
      continue;
    }
    if (/^[ \t]/.test(line) && last !== null) {
      current.set(last, `${current.get(last)} ${line.trim()}`.trim());
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    // The first occurrence wins: a repeated field is a mailer's mistake, and the first is what it meant.
    if (!current.has(name)) current.set(name, line.slice(colon + 1).trim());
    last = name;
  }
  if (current.size > 0) groups.push(current);
  return groups;
}

/** `rfc822; jane@example.com` → `jane@example.com`; `dns; mx.example.com` → `mx.example.com`. */
function withoutType(value: string | undefined): string | null {
  if (value === undefined) return null;
  const semicolon = value.indexOf(';');
  const bare = (semicolon === -1 ? value : value.slice(semicolon + 1)).trim().replace(/^<(.*)>$/, '$1').trim();
  return bare === '' ? null : bare;
}

function diagnosticOf(value: string | undefined): string | null {
  if (value === undefined) return null;
  const bare = value.replace(/^\s*(smtp|x-[\w-]+|unix|x400)\s*;\s*/i, '').trim();
  return bare === '' ? null : bare;
}

function statusOf(value: string | undefined): string | null {
  if (value === undefined) return null;
  const code = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(value);
  const trimmed = value.trim();
  return code ? code[1]! : trimmed === '' ? null : trimmed;
}

/**
 * Reads the body of a message/delivery-status part: the per-message fields (Reporting-MTA, Arrival-Date)
 * and one entry per recipient (Final-Recipient, Action, Status, Diagnostic-Code…).
 */
export function parseDeliveryStatus(text: string): Pick<DeliveryReport, 'reportingMta' | 'arrivalDate' | 'recipients'> {
  const groups = fieldGroups(text);
  const perMessage = groups.find((g) => g.has('reporting-mta') || g.has('arrival-date') || g.has('received-from-mta')) ?? null;
  const recipients: DeliveryRecipient[] = [];
  for (const group of groups) {
    if (group === perMessage && !group.has('final-recipient') && !group.has('action')) continue;
    if (!group.has('final-recipient') && !group.has('action') && !group.has('original-recipient')) continue;
    const action = group.get('action')?.trim().toLowerCase();
    recipients.push({
      finalRecipient: withoutType(group.get('final-recipient')) ?? withoutType(group.get('original-recipient')),
      originalRecipient: withoutType(group.get('original-recipient')),
      action: action === undefined || action === '' ? null : action,
      status: statusOf(group.get('status')),
      diagnosticCode: diagnosticOf(group.get('diagnostic-code')),
      remoteMta: withoutType(group.get('remote-mta')),
    });
  }
  return {
    reportingMta: withoutType(perMessage?.get('reporting-mta')),
    arrivalDate: perMessage?.get('arrival-date')?.trim() || null,
    recipients,
  };
}

/** The recipients a bounce says were not reached (Action failed, or a permanent 5.x.x status). */
export function failedRecipients(report: Pick<DeliveryReport, 'recipients'>): DeliveryRecipient[] {
  return report.recipients.filter((r) => r.action === 'failed' || (r.action === null && r.status?.startsWith('5.') === true));
}

export type DeliveryNotice = {
  /** One line: what happened, in an agent's words. */
  headline: string;
  /** One entry per recipient the report names, failed ones first. */
  recipients: Array<{ address: string; outcome: string; status: string | null; diagnostic: string | null }>;
};

const OUTCOME: Record<string, string> = {
  failed: 'not delivered',
  delayed: 'delayed, still trying',
  delivered: 'delivered',
  relayed: 'passed on to a server that sends no reports',
  expanded: 'delivered to a list',
};

/** What the case page shows for a bounce: a headline and the recipients with status and diagnostic. */
export function describeDeliveryReport(report: Pick<DeliveryReport, 'recipients' | 'originalSubject'>): DeliveryNotice {
  const failed = failedRecipients(report);
  const delayed = report.recipients.filter((r) => r.action === 'delayed');
  const about = report.originalSubject ? ` "${report.originalSubject}"` : '';
  const headline =
    failed.length > 0
      ? `Delivery failed: the message${about} did not reach ${failed.length === 1 ? 'one recipient' : `${failed.length} recipients`}.`
      : delayed.length > 0
        ? `Delivery delayed: the message${about} has not reached ${delayed.length === 1 ? 'one recipient' : `${delayed.length} recipients`} yet.`
        : report.recipients.length > 0
          ? `Delivery report for the message${about}.`
          : `Delivery report for the message${about}; it names no recipient.`;
  const ordered = [...failed, ...report.recipients.filter((r) => !failed.includes(r))];
  return {
    headline,
    recipients: ordered.map((r) => ({
      address: r.finalRecipient ?? r.originalRecipient ?? 'unknown recipient',
      outcome: r.action === null ? (failed.includes(r) ? OUTCOME.failed! : 'unknown') : (OUTCOME[r.action] ?? r.action),
      status: r.status,
      diagnostic: r.diagnosticCode,
    })),
  };
}

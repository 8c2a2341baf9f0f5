// Who a reply goes to: the defaults the composer starts from, and the checks every address passes
// before it is stored (DESIGN "Answering"; issue: no CR/LF, no header injection, at most 50 recipients).
//
// Decisions:
// - To = the answered message's Reply-To, else its From (RFC 5322 §3.6.2: Reply-To says where answers go).
//   Answering one of our own outbound messages (a follow-up) goes to the same people again.
// - CC = everyone else on the answered message (its To and CC) minus our own mailboxes and minus the To.
// - An address is local@domain with no spaces, brackets, quotes, commas or control characters: anything a
//   header could be split or extended with is refused, not escaped. Display names lose control characters.
// - Duplicates (letter case ignored) are dropped; an address in both To and CC stays in To only.

export const MAX_RECIPIENTS = 50;
export const MAX_ADDRESS_CHARS = 320;
export const MAX_NAME_CHARS = 120;

const ADDRESS = /^[^\s@<>()\[\],;:"\\]+@[^\s@<>()\[\],;:"\\]+\.[^\s@<>()\[\],;:"\\.]+$/;
const CONTROL = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/;

/** The shape of case_messages.to / cc (MessageAddress). */
export type Recipient = { address: string; name: string };

export type RecipientErrors = { to?: string; cc?: string };

export type RecipientCheck = { ok: true; to: Recipient[]; cc: Recipient[] } | { ok: false; errors: RecipientErrors };

/** Why this address cannot be used, or null when it can. */
export function addressProblem(address: string): string | null {
  if (CONTROL.test(address)) return `"${address.replace(CONTROL, ' ').slice(0, 60)}" contains a line break or control character.`;
  if (address.length > MAX_ADDRESS_CHARS) return 'An address is longer than an email address can be.';
  if (!ADDRESS.test(address)) return `"${address.slice(0, 80)}" is not an email address.`;
  return null;
}

function cleanName(name: string): string {
  const visible = name.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ').replace(/\s+/g, ' ').trim();
  return Array.from(visible).slice(0, MAX_NAME_CHARS).join('');
}

export function checkRecipients(input: { to: Recipient[]; cc: Recipient[] }): RecipientCheck {
  const errors: RecipientErrors = {};
  const seen = new Set<string>();
  const pick = (list: Recipient[], field: 'to' | 'cc'): Recipient[] => {
    const out: Recipient[] = [];
    for (const r of list) {
      const address = r.address.trim();
      const problem = addressProblem(address);
      if (problem) {
        errors[field] ??= problem;
        continue;
      }
      if (CONTROL.test(r.name)) {
        // Names are cleaned rather than refused, but a CR/LF in one is an attempt worth saying no to.
        errors[field] ??= `The name for ${address} contains a line break.`;
        continue;
      }
      const key = address.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ address, name: cleanName(r.name) });
    }
    return out;
  };
  const to = pick(input.to, 'to');
  const cc = pick(input.cc, 'cc');
  if (!errors.to && to.length === 0) errors.to = 'Add at least one recipient.';
  if (to.length + cc.length > MAX_RECIPIENTS) errors.cc ??= `At most ${MAX_RECIPIENTS} recipients in all (To and CC together).`;
  return errors.to || errors.cc ? { ok: false, errors } : { ok: true, to, cc };
}

/** "Jane Doe <jane@example.com>, bob@example.com" → recipients; what does not parse is kept as an address to be refused. */
export function parseRecipientList(text: string): Recipient[] {
  const parts = text.split(/[,;\n]/).map((p) => p.trim()).filter((p) => p !== '');
  return parts.map((part) => {
    const m = /^(.*)<([^<>]*)>\s*$/.exec(part);
    if (!m) return { address: part, name: '' };
    return { address: m[2]!.trim(), name: m[1]!.trim().replace(/^"(.*)"$/, '$1') };
  });
}

/** Recipients as the composer's field shows them; parseRecipientList reads it back the same. A name that
 * would split or confuse the field (a comma, semicolon, angle bracket or quote in it) is left out. */
export function formatRecipientList(list: Recipient[]): string {
  return list.map((r) => (r.name && !/[,;<>"\n]/.test(r.name) ? `${r.name} <${r.address}>` : r.address)).join(', ');
}

export type AnsweredAddresses = {
  direction: 'inbound' | 'outbound' | 'note';
  fromAddress: string;
  fromName: string;
  replyTo: Recipient[];
  to: Recipient[];
  cc: Recipient[];
};

export function defaultRecipients(answered: AnsweredAddresses, ownAddresses: string[]): { to: Recipient[]; cc: Recipient[] } {
  const own = new Set(ownAddresses.map((a) => a.toLowerCase()));
  const usable = (r: Recipient) => addressProblem(r.address) === null && !own.has(r.address.toLowerCase());
  const dedupe = (list: Recipient[], taken: Set<string>) =>
    list.filter((r) => {
      const key = r.address.toLowerCase();
      if (taken.has(key)) return false;
      taken.add(key);
      return true;
    });
  const taken = new Set<string>();
  if (answered.direction === 'outbound') {
    const to = dedupe(answered.to.filter(usable), taken);
    return { to, cc: dedupe(answered.cc.filter(usable), taken).slice(0, MAX_RECIPIENTS - to.length) };
  }
  const replyTo = answered.replyTo.filter(usable);
  const from = { address: answered.fromAddress, name: answered.fromName };
  const to = dedupe(replyTo.length > 0 ? replyTo : usable(from) ? [from] : [], taken);
  // The sender is not copied when Reply-To sent the answer elsewhere (a list or a ticket form asked so).
  taken.add(answered.fromAddress.toLowerCase());
  const cc = dedupe([...answered.to, ...answered.cc].filter(usable), taken);
  return { to, cc: cc.slice(0, Math.max(0, MAX_RECIPIENTS - to.length)) };
}

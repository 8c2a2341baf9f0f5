// Which contact a new case belongs to (seed: "Case Management and Email Integration Workflow").
// The service finds the contacts whose lower(email) equals lower(fromAddress) and passes them in;
// the rule itself lives here.
//
// Decisions:
// - Several contacts share the address and the display name narrows them to none: the oldest of all
//   address matches is chosen (the address is the stronger evidence; creating yet another contact with
//   the same address would make the next mail more ambiguous still).
// - Without a display name there is nothing to narrow by, so the oldest address match is chosen.
// - "Oldest" is the earliest createdAt; equal times fall back to the smaller id, so the choice is stable.
// - Names compare case- and accent-insensitively; a contact whose first name has several words
//   ("Mary Ann") also matches on its first word, since parseDisplayName keeps only the first word.
// - A new contact keeps the address as written: matching is case-insensitive anyway, and the local part
//   of an address may legally be case-sensitive.
// - Mail whose sender failed DMARC at the processor's server (senderUnverified) proves nothing by its
//   address: it is matched only among contacts that were themselves made for such mail, and otherwise
//   gets a new contact flagged as unverified, so a forged From never lands on a real customer's contact.
//   Verified mail prefers contacts that are not flagged.
import { parseDisplayName } from './parse-display-name';

/** A contact whose email address equals the sender's, ignoring case. */
export type ContactCandidate = {
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  createdAt: Date;
  /** Made for mail that failed DMARC. */
  unverifiedSender?: boolean;
};

/** The contact to create when no contact has the sender's address. */
export type NewContact = { firstName: string; lastName: string; email: string; unverifiedSender?: boolean };

/** The chosen contact and how it was chosen; `note` explains an ambiguous choice for the case history. */
export type ContactMatch =
  | { kind: 'address'; contactId: string }
  | { kind: 'name'; contactId: string }
  | { kind: 'ambiguous'; contactId: string; note: string }
  | { kind: 'create'; newContact: NewContact };

export type MatchContactInput = {
  fromAddress: string;
  /** The From display name as parsed, or null when the From header had none. */
  fromName: string | null;
  candidates: ContactCandidate[];
  /** The sender failed DMARC and the processor distrusts such addresses. */
  senderUnverified?: boolean;
};

export function matchContact({ fromAddress, fromName, candidates, senderUnverified = false }: MatchContactInput): ContactMatch {
  const address = fromAddress.trim();
  const byAddress = candidates.filter((c) => c.email.trim().toLowerCase() === address.toLowerCase());
  const flagged = byAddress.filter((c) => c.unverifiedSender === true);
  const trusted = byAddress.filter((c) => c.unverifiedSender !== true);
  const sameAddress = senderUnverified ? flagged : trusted.length > 0 ? trusted : byAddress;
  const name = parseDisplayName(fromName, address);

  if (sameAddress.length === 0) {
    const newContact: NewContact = { firstName: name.firstName, lastName: name.lastName, email: address };
    return { kind: 'create', newContact: senderUnverified ? { ...newContact, unverifiedSender: true } : newContact };
  }
  if (sameAddress.length === 1) return { kind: 'address', contactId: sameAddress[0].id };

  const shared = `${sameAddress.length} contacts share ${address}`;
  if (!name.fromDisplayName) {
    return { kind: 'ambiguous', contactId: oldest(sameAddress).id, note: `${shared} and the mail gives no name; chose the oldest.` };
  }

  const fullName = [name.firstName, name.lastName].filter((part) => part !== '').join(' ');
  const named = sameAddress.filter((c) => sameName(c, name.firstName, name.lastName));
  if (named.length === 1) return { kind: 'name', contactId: named[0].id };
  if (named.length === 0) {
    return { kind: 'ambiguous', contactId: oldest(sameAddress).id, note: `${shared} and none is named ${fullName}; chose the oldest.` };
  }
  return { kind: 'ambiguous', contactId: oldest(named).id, note: `${shared} and ${named.length} of them are named ${fullName}; chose the oldest.` };
}

function sameName(contact: ContactCandidate, firstName: string, lastName: string): boolean {
  const contactFirst = foldName(contact.firstName);
  const wanted = foldName(firstName);
  const firstMatches = contactFirst === wanted || contactFirst.split(' ')[0] === wanted;
  return firstMatches && foldName(contact.lastName) === foldName(lastName);
}

/** "  Zoë  ÅNGSTRÖM " → "zoe angstrom". */
function foldName(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

function oldest(contacts: ContactCandidate[]): ContactCandidate {
  return contacts.reduce((best, c) => {
    const diff = c.createdAt.getTime() - best.createdAt.getTime();
    return diff < 0 || (diff === 0 && c.id < best.id) ? c : best;
  });
}

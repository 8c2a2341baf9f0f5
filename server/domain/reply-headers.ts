// The headers of an agent's reply, as plain functions: subject, Message-ID, In-Reply-To and References
// (RFC 5322 §3.6.4), so the customer's mail client threads it and their answer finds the case again.
// The service (server/services/case-replies.ts) stores what these return before anything is sent.
//
// Decisions:
// - Subject: "[LC0001234] Re: <answered subject>" with the answered subject's own tags and reply prefixes
//   (Re:, RE:, Aw:, Sv:, Antw:) taken off first, so a long thread does not grow "Re: Re: [LC…] Re:".
// - References = the answered message's References + its Message-ID. A long thread keeps the first id (the
//   thread's root, which clients use to group) and the most recent ones, MAX_REFERENCES in all.
// - Ids that could break out of `<…>` or the header line are dropped, never repaired.
// - Our Message-ID is random (not derived): two replies to one message are two mails. The exactly-once
//   guarantee comes from the outbox row that carries it, not from the id.
import { randomUUID } from 'node:crypto';
import { tagSubject } from './case-tag';
import { normalizeMessageId } from './message-id';

export const MAX_REFERENCES = 20;
export const MAX_SUBJECT_CHARS = 250;

const REPLY_PREFIX = /^\s*(?:(?:re|aw|sv|antw|wg|fwd?)\s*(?:\[\d+\])?\s*:\s*|\[\s*LC\d{7,}\s*\]\s*)+/i;

/** "[LC0001234] Re: Printer on fire" from "RE: [LC0001234] Re: Printer on fire". */
export function replySubject(answeredSubject: string, caseNumber: number): string {
  const rest = oneLine(answeredSubject).replace(REPLY_PREFIX, '').trim();
  const cut = rest.length > MAX_SUBJECT_CHARS ? `${rest.slice(0, MAX_SUBJECT_CHARS).trimEnd()}…` : rest;
  return tagSubject(cut === '' ? 'Re: your message' : `Re: ${cut}`, caseNumber);
}

/** The subject the agent typed, made safe for a header; empty → the default reply subject. */
export function cleanSubject(typed: string, answeredSubject: string, caseNumber: number): string {
  const line = oneLine(typed);
  if (line === '') return replySubject(answeredSubject, caseNumber);
  // The tag is what brings the customer's answer back to this case: it is put back when removed.
  return tagSubject(line.length > MAX_SUBJECT_CHARS + 20 ? line.slice(0, MAX_SUBJECT_CHARS + 20) : line, caseNumber);
}

export type AnsweredMessage = { messageId: string | null; references: string[] };

export type ThreadingHeaders = { inReplyTo: string | null; references: string[] };

export function threadingFor(answered: AnsweredMessage | null): ThreadingHeaders {
  if (answered === null) return { inReplyTo: null, references: [] };
  const parent = usableId(normalizeMessageId(answered.messageId));
  // Stored references are one id per entry already; an entry that is not one usable id is dropped whole.
  const chain: string[] = [];
  for (const raw of answered.references) {
    const id = usableId(normalizeMessageId(raw));
    if (id !== null && id !== parent && !chain.includes(id)) chain.push(id);
  }
  if (parent !== null) chain.push(parent);
  const references = chain.length <= MAX_REFERENCES ? chain : [chain[0]!, ...chain.slice(-(MAX_REFERENCES - 1))];
  return { inReplyTo: parent, references };
}

/** A fresh Message-ID (without brackets) in the domain of the address the reply is sent from. */
export function newMessageId(fromAddress: string, random: () => string = randomUUID): string {
  const domain = (fromAddress.split('@').pop() ?? '').trim().toLowerCase();
  return `reply.${random()}@${/^[a-z0-9.-]+$/.test(domain) && domain.includes('.') ? domain : 'leopard.invalid'}`;
}

/** The extra headers the outbox row stores and every transport sends as they are. */
export function replyHeaders(messageId: string, threading: ThreadingHeaders): Record<string, string> {
  const headers: Record<string, string> = { 'Message-ID': `<${messageId}>` };
  if (threading.inReplyTo !== null) headers['In-Reply-To'] = `<${threading.inReplyTo}>`;
  if (threading.references.length > 0) headers['References'] = threading.references.map((id) => `<${id}>`).join(' ');
  return headers;
}

function usableId(id: string | null): string | null {
  return id !== null && /^[\x21-\x3b\x3d\x3f-\x7e]+$/.test(id) ? id : null;
}

/** Control characters (CR/LF above all) would let a value start a new header. */
export function oneLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
}

// Events that reach browsers: names and payloads shared by the worker, the web server and the UI.
// They travel by Postgres NOTIFY (sent inside the transaction, so delivered only on commit) to
// every web instance, which emits them to Socket.IO rooms. Payloads carry ids and a small summary,
// never bodies: NOTIFY payloads are limited to 8000 bytes and events are not the place for mail.

import type { CaseStatus } from '../domain/case-status';

export const EVENTS_CHANNEL = 'leopard_events';
export const AGENTS_ROOM = 'agents';
export const caseRoom = (caseId: string) => `case:${caseId}`;

export type CaseEventSummary = {
  caseId: string;
  caseNumber: string;
  subject: string;
  status: CaseStatus;
  isSpam: boolean;
  assignedToId: string | null;
  lastActivityAt: string;
};

export type CaseEvent =
  | { type: 'case.created'; case: CaseEventSummary }
  | { type: 'case.updated'; case: CaseEventSummary; messageId?: string; actorId?: string | null };

const MAX_SUBJECT_CHARS = 200;

export function encodeCaseEvent(event: CaseEvent): string {
  const trimmed = { ...event, case: { ...event.case, subject: event.case.subject.slice(0, MAX_SUBJECT_CHARS) } };
  return JSON.stringify(trimmed);
}

export function decodeCaseEvent(payload: string): CaseEvent | null {
  try {
    const parsed = JSON.parse(payload) as CaseEvent;
    return parsed.type === 'case.created' || parsed.type === 'case.updated' ? parsed : null;
  } catch {
    return null;
  }
}

import Link from 'next/link';
import type { CaseHeader as CaseHeaderData } from '@/server/services/cases';
import { CaseStatusBadge } from '../../components/case-status';
import { formatDateTime } from '../../components/format';
import { ArrivedFromMerge, MergedNotice } from './case-work';

export function CaseHeader({ detail: c }: { detail: CaseHeaderData }) {
  return (
    <header className="card case-header">
      <MergedNotice detail={c} />
      <ArrivedFromMerge detail={c} />
      <div className="case-title">
        <span className="mono muted">{c.caseNumber}</span>
        <h1>{c.subject || '(no subject)'}</h1>
        <CaseStatusBadge status={c.status} isSpam={c.isSpam} />
      </div>
      <dl className="case-facts">
        <div>
          <dt>Contact</dt>
          <dd>{c.contact ? <Link href={`/contacts/${c.contact.id}`}>{c.contact.name}</Link> : <span className="muted">none</span>}</dd>
        </div>
        <div>
          <dt>Type</dt>
          <dd>{c.caseType?.name ?? '—'}</dd>
        </div>
        <div>
          <dt>Priority</dt>
          <dd>{c.priority?.name ?? '—'}</dd>
        </div>
        <div>
          <dt>Assignee</dt>
          <dd>{c.assignee?.name ?? <span className="muted">unassigned</span>}</dd>
        </div>
        <div>
          <dt>Manager</dt>
          <dd>{c.manager?.name ?? '—'}</dd>
        </div>
        <div>
          <dt>Mailbox</dt>
          <dd>{c.processor ? `${c.processor.name} (${c.processor.emailAddress})` : '—'}</dd>
        </div>
        <div>
          <dt>Opened</dt>
          <dd>{formatDateTime(c.createdAt)}</dd>
        </div>
      </dl>
      {c.notes.length > 0 && (
        <ul className="case-notes" aria-label="Notes">
          {c.notes.map((note, i) => (
            <li key={i}>{note}</li>
          ))}
        </ul>
      )}
    </header>
  );
}

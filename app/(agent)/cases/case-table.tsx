'use client';
import Link from 'next/link';
import type { CaseListItem } from '@/server/services/cases';
import { CaseStatusBadge } from '../components/case-status';
import { formatActivity, formatDateTime } from '../components/format';
import { HighlightedText } from './highlighted-text';

type Props = { items: CaseListItem[]; arrived: ReadonlySet<string> };

export function CaseTable({ items, arrived }: Props) {
  return (
    <table className="table case-table" data-testid="case-table">
      <thead>
        <tr>
          <th scope="col">Case</th>
          <th scope="col">Subject</th>
          <th scope="col">Contact</th>
          <th scope="col">Status</th>
          <th scope="col">Priority</th>
          <th scope="col">Assignee</th>
          <th scope="col">Activity</th>
        </tr>
      </thead>
      <tbody>
        {items.map((c) => {
          const className = [c.status === 'new' ? 'unread' : '', arrived.has(c.id) ? 'arrived' : ''].filter(Boolean).join(' ');
          return (
            <tr key={c.id} className={className || undefined} data-testid="case-row" data-case-number={c.caseNumber}>
              <td className="mono">
                <Link href={`/cases/${c.caseNumber}`} tabIndex={-1}>
                  {c.caseNumber}
                </Link>
              </td>
              <td>
                <Link href={`/cases/${c.caseNumber}`} className="case-subject">
                  {c.subject ? c.match ? <HighlightedText segments={c.match.subject} /> : c.subject : '(no subject)'}
                </Link>
                {c.senderFlagged && (
                  <span
                    className="badge delivery-warn sender-flag"
                    data-testid="sender-flag"
                    title="A message of this case failed DMARC at your mail server: its sender may not be who the From line says."
                  >
                    Sender not verified
                  </span>
                )}
                {c.match && c.match.snippet.length > 0 && (
                  <div className="search-snippet small" data-testid="search-snippet">
                    <HighlightedText segments={c.match.snippet} />
                  </div>
                )}
                {(c.caseType || c.processor) && (
                  <div className="muted small">{[c.caseType, c.processor && `via ${c.processor}`].filter(Boolean).join(' · ')}</div>
                )}
              </td>
              <td title={c.contact?.email}>{c.contact ? c.contact.name : <span className="muted">none</span>}</td>
              <td>
                <CaseStatusBadge status={c.status} isSpam={c.isSpam} />
              </td>
              <td>{c.priority ?? ''}</td>
              <td>{c.assignee?.name ?? <span className="muted">unassigned</span>}</td>
              <td>
                <time dateTime={c.lastActivityAt.toISOString()} title={formatDateTime(c.lastActivityAt)}>
                  {formatActivity(c.lastActivityAt)}
                </time>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

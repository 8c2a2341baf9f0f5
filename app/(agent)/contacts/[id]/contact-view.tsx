'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useTRPC } from '../../../trpc';
import { CaseStatusBadge } from '../../components/case-status';
import { formatActivity, formatDateTime } from '../../components/format';
import { ContactForm } from './contact-form';

export function ContactView({ id }: { id: string }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.contacts.get.queryOptions({ id }));
  if (query.isError) {
    return (
      <section className="card">
        <p className="form-error">{query.error.message}</p>
        <p>
          <Link href="/contacts">Back to the contacts</Link>
        </p>
      </section>
    );
  }
  if (query.isPending) return <p className="muted">Loading…</p>;
  const contact = query.data;

  return (
    <div className="stack">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link href="/contacts">Contacts</Link> / {contact.name}
      </nav>
      <div className="page-header">
        <h1>{contact.name}</h1>
        <span className="muted">
          Added {formatDateTime(contact.createdAt)}
          {contact.createdByCase && (
            <>
              {' '}
              by mail in <Link href={`/cases/${contact.createdByCase.caseNumber}`}>{contact.createdByCase.caseNumber}</Link>
            </>
          )}
        </span>
      </div>
      <ContactForm key={`${contact.firstName}|${contact.lastName}|${contact.email}`} contact={contact} />
      <section className="card" aria-label="Cases">
        <h2>Cases</h2>
        {contact.cases.length === 0 ? (
          <p className="muted">No cases.</p>
        ) : (
          <table className="table" data-testid="contact-cases">
            <thead>
              <tr>
                <th scope="col">Case</th>
                <th scope="col">Subject</th>
                <th scope="col">Status</th>
                <th scope="col">Activity</th>
              </tr>
            </thead>
            <tbody>
              {contact.cases.map((c) => (
                <tr key={c.id} className={c.status === 'new' ? 'unread' : undefined}>
                  <td className="mono">
                    <Link href={`/cases/${c.caseNumber}`}>{c.caseNumber}</Link>
                  </td>
                  <td>{c.subject || '(no subject)'}</td>
                  <td>
                    <CaseStatusBadge status={c.status} isSpam={c.isSpam} />
                  </td>
                  <td>{formatActivity(c.lastActivityAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { formatWhen, ProcessorStateBadge } from '../../components/processor-state';
import { useTRPC } from '../../trpc';

// The worker updates states as it connects and imports; a short poll keeps the table current.
const STATE_REFRESH_MS = 3_000;

export function ProcessorList() {
  const trpc = useTRPC();
  const processors = useQuery({ ...trpc.processors.list.queryOptions(), refetchInterval: STATE_REFRESH_MS });

  if (processors.isError) return <p className="form-error">{processors.error.message}</p>;
  if (processors.isPending) return <p className="muted">Loading…</p>;
  if (processors.data.length === 0) {
    return (
      <section className="card empty">
        No mailboxes connected yet. <Link href="/admin/processors/new">Create your first email processor</Link>.
      </section>
    );
  }
  return (
    <section className="card">
      <table className="table" data-testid="processor-table">
        <thead>
          <tr>
            <th>Email address</th>
            <th>Name</th>
            <th>Server</th>
            <th>State</th>
            <th>Last sync</th>
          </tr>
        </thead>
        <tbody>
          {processors.data.map((p) => (
            <tr key={p.id}>
              <td>
                <Link href={`/admin/processors/${p.id}`}>{p.emailAddress}</Link>
              </td>
              <td>{p.name}</td>
              <td className="mono">
                {p.host}:{p.port}
                {p.useSsl ? ' (SSL)' : ''}
                {p.type === 'pop3' && (
                  <small data-testid="pop3-poll">
                    {' '}
                    POP3, polled {p.pollIntervalSeconds ? `every ${p.pollIntervalSeconds} s` : 'every POP3_POLL_INTERVAL_MS (60 s by default)'}
                  </small>
                )}
              </td>
              <td>
                <ProcessorStateBadge state={p.state} />
                {p.state.kind === 'needs_filter' && (
                  <>
                    {' '}
                    <Link href={`/admin/processors/${p.id}#filters`}>Add a filter</Link>
                  </>
                )}
                {p.oauthSecretExpiry && (
                  <small className="form-warning" data-testid="secret-expiry-warning">
                    {' '}
                    {p.oauthSecretExpiry.text}
                  </small>
                )}
                {p.notices
                  .filter((n) => n.tone === 'warn')
                  .map((n) => (
                    <small key={n.kind} className="state-reason" data-notice={n.kind}>
                      {' '}
                      <Link href={`/admin/processors/${p.id}`}>{n.kind === 'slow_push' ? 'Slow push: set a check interval' : 'The server’s answers disagreed'}</Link>
                    </small>
                  ))}
              </td>
              <td>{formatWhen(p.lastSuccessAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

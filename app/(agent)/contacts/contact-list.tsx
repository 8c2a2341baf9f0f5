'use client';
import { useInfiniteQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '../../trpc';
import { formatActivity } from '../components/format';

export function ContactList() {
  const trpc = useTRPC();
  const [draft, setDraft] = useState('');
  const [search, setSearch] = useState('');
  const query = useInfiniteQuery(
    trpc.contacts.list.infiniteQueryOptions({ limit: 50, search: search || null }, { getNextPageParam: (p) => p.nextCursor ?? undefined }),
  );
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSearch(draft.trim());
  };

  return (
    <section className="card">
      <form role="search" aria-label="Search contacts" className="search-form" onSubmit={submit}>
        <label htmlFor="contact-search" className="visually-hidden">
          Search contacts
        </label>
        <input id="contact-search" type="search" placeholder="Name or email address" value={draft} onChange={(e) => setDraft(e.target.value)} maxLength={200} />
        <button type="submit" className="button">
          Search
        </button>
      </form>
      {query.isError && <p className="form-error">Could not load contacts: {query.error.message}</p>}
      {query.isPending ? (
        <p className="muted">Loading…</p>
      ) : items.length === 0 ? (
        <p className="empty">{search ? 'No contacts match this search.' : 'No contacts yet. Mail from new senders creates them.'}</p>
      ) : (
        <table className="table" data-testid="contact-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Cases</th>
              <th scope="col">Added</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link href={`/contacts/${c.id}`}>{c.name}</Link>
                </td>
                <td>{c.email}</td>
                <td>{c.caseCount}</td>
                <td>{formatActivity(c.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {query.hasNextPage && (
        <div className="load-more">
          <button type="button" className="button" onClick={() => query.fetchNextPage()} disabled={query.isFetchingNextPage}>
            {query.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </section>
  );
}

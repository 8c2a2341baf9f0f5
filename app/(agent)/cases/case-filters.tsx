'use client';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '../../trpc';
import { STATUS_LABEL, STATUSES } from '../components/case-status';
import { type CaseFilterState, isFiltered } from './use-case-filters';

const EMPTY: CaseFilterState = {
  status: null,
  assignee: null,
  processorId: null,
  caseTypeId: null,
  casePriorityId: null,
  spam: false,
  search: '',
};

type Props = { filters: CaseFilterState; onChange: (next: CaseFilterState) => void };

export function CaseFilters({ filters, onChange }: Props) {
  const trpc = useTRPC();
  const options = useQuery(trpc.cases.options.queryOptions());
  // Typing does not refetch on every key; the search runs on Enter or the button.
  const [search, setSearch] = useState(filters.search);
  const set = <K extends keyof CaseFilterState>(key: K, value: CaseFilterState[K]) => onChange({ ...filters, [key]: value });
  const submitSearch = (e: FormEvent) => {
    e.preventDefault();
    set('search', search.trim());
  };
  const select = (key: 'status' | 'assignee' | 'processorId' | 'caseTypeId' | 'casePriorityId') => ({
    value: filters[key] ?? '',
    onChange: (e: { target: { value: string } }) => set(key, (e.target.value || null) as never),
  });

  return (
    <div className="case-filters">
      <form role="search" aria-label="Search cases" className="search-form" onSubmit={submitSearch}>
        <label htmlFor="case-search" className="visually-hidden">
          Search cases
        </label>
        <input
          id="case-search"
          type="search"
          placeholder="Case number, words, sender or attachment name"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          maxLength={200}
        />
        <button type="submit" className="button">
          Search
        </button>
      </form>
      <div className="filter-row" aria-label="Filters" role="group">
        <label>
          Status
          <select {...select('status')}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Assignee
          <select {...select('assignee')}>
            <option value="">Anyone</option>
            <option value="me">Me</option>
            <option value="unassigned">Unassigned</option>
            {options.data?.users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Mailbox
          <select {...select('processorId')}>
            <option value="">All</option>
            {options.data?.processors.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select {...select('caseTypeId')}>
            <option value="">Any</option>
            {options.data?.caseTypes.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Priority
          <select {...select('casePriorityId')}>
            <option value="">Any</option>
            {options.data?.casePriorities.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={filters.spam} onChange={(e) => set('spam', e.target.checked)} /> Spam only
        </label>
        {isFiltered(filters) && (
          <button
            type="button"
            className="button ghost small"
            onClick={() => {
              setSearch('');
              onChange(EMPTY);
            }}
          >
            Clear filters
          </button>
        )}
      </div>
    </div>
  );
}

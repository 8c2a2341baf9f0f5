'use client';
// The case list's filters live in the URL (?status=new&assignee=me&q=…), so a filtered view can be
// bookmarked, shared and restored with the back button.
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useMemo } from 'react';
import type { CaseStatus } from '@/server/services/cases';
import { STATUSES } from '../components/case-status';

export type CaseFilterState = {
  status: CaseStatus | null;
  /** 'me', 'unassigned' or a user id. */
  assignee: string | null;
  processorId: string | null;
  caseTypeId: string | null;
  casePriorityId: string | null;
  spam: boolean;
  search: string;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const id = (value: string | null) => (value && UUID.test(value) ? value : null);

export function parseCaseFilters(params: URLSearchParams): CaseFilterState {
  const status = params.get('status');
  const assignee = params.get('assignee');
  return {
    status: STATUSES.includes(status as CaseStatus) ? (status as CaseStatus) : null,
    assignee: assignee === 'me' || assignee === 'unassigned' ? assignee : id(assignee),
    processorId: id(params.get('processor')),
    caseTypeId: id(params.get('type')),
    casePriorityId: id(params.get('priority')),
    spam: params.get('spam') === '1',
    search: params.get('q')?.trim() ?? '',
  };
}

function toSearchParams(state: CaseFilterState): string {
  const params = new URLSearchParams();
  const set = (key: string, value: string | null) => value && params.set(key, value);
  set('status', state.status);
  set('assignee', state.assignee);
  set('processor', state.processorId);
  set('type', state.caseTypeId);
  set('priority', state.casePriorityId);
  set('spam', state.spam ? '1' : null);
  set('q', state.search.trim() || null);
  return params.toString();
}

/** The `cases.list` input for these filters ("me" becomes `mine`). */
export function listInput(state: CaseFilterState) {
  return {
    limit: 50,
    status: state.status,
    mine: state.assignee === 'me',
    assignee: state.assignee === 'me' ? null : state.assignee,
    processorId: state.processorId,
    caseTypeId: state.caseTypeId,
    casePriorityId: state.casePriorityId,
    spam: state.spam,
    search: state.search || null,
  };
}

export function isFiltered(state: CaseFilterState): boolean {
  return toSearchParams(state) !== '';
}

export function useCaseFilters(): [CaseFilterState, (next: CaseFilterState) => void] {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const state = useMemo(() => parseCaseFilters(new URLSearchParams(params.toString())), [params]);
  const setState = useCallback(
    (next: CaseFilterState) => {
      const query = toSearchParams(next);
      router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
    },
    [router, pathname],
  );
  return [state, setState];
}

import { Suspense } from 'react';
import { CaseList } from './case-list';

// The filters are read from the URL on the client, which needs a Suspense boundary.
export default function CasesPage() {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <CaseList />
    </Suspense>
  );
}

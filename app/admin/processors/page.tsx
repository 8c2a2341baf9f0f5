import Link from 'next/link';
import { ProcessorList } from './processor-list';

export default function ProcessorsPage() {
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Email processors</h1>
          <p className="muted">One processor per mailbox. Mail arriving in it becomes cases.</p>
        </div>
        <Link href="/admin/processors/new" className="button primary">
          New email processor
        </Link>
      </div>
      <ProcessorList />
    </>
  );
}

import { QuarantineList } from './quarantine-list';

export default function QuarantinePage() {
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Quarantine</h1>
          <p className="muted">
            Messages that could not be turned into cases. Each is kept byte for byte with the reason; the mailbox moved on
            without them. Retry after the cause is fixed.
          </p>
        </div>
      </div>
      <QuarantineList />
    </>
  );
}

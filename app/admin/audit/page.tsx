import { AuditLog } from './audit-log';

export default function AuditPage() {
  return (
    <>
      <div className="page-header">
        <h1>Audit log</h1>
        <p className="muted">Every admin change and agent action: who, what, when.</p>
      </div>
      <AuditLog />
    </>
  );
}

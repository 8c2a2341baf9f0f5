import { CASE_STATUSES } from '@/server/domain/case-status';
import type { CaseStatus } from '@/server/services/cases';

export const STATUS_LABEL: Record<CaseStatus, string> = { new: 'New', open: 'Open', pending: 'Pending', closed: 'Closed' };
export const STATUSES = CASE_STATUSES;

export function CaseStatusBadge({ status, isSpam }: { status: CaseStatus; isSpam: boolean }) {
  return (
    <>
      <span className={`status status-${status}`} data-testid="case-status">
        {STATUS_LABEL[status]}
      </span>
      {isSpam && <span className="badge danger">spam</span>}
    </>
  );
}

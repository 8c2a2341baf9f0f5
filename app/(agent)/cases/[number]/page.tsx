import { notFound, redirect } from 'next/navigation';
import { caseNumberFromDigits, formatCaseNumber, parseCaseNumber } from '@/server/domain/case-number';
import { CaseView } from './case-view';

// Cases are addressed by their number (/cases/LC0000042), the name agents and customers use.
// Bare digits (/cases/42) lead to the canonical address.
export default async function CasePage({ params }: { params: Promise<{ number: string }> }) {
  const raw = decodeURIComponent((await params).number);
  const number = parseCaseNumber(raw) ?? (/^\d{1,10}$/.test(raw) ? caseNumberFromDigits(raw) : null);
  if (number === null || number < 1) notFound();
  if (raw !== formatCaseNumber(number)) redirect(`/cases/${formatCaseNumber(number)}`);
  return <CaseView number={number} />;
}

import { CaseList } from './case-list';

export default function CasesPage() {
  return (
    <>
      <div className="page-header">
        <h1>Cases</h1>
      </div>
      <CaseList />
    </>
  );
}

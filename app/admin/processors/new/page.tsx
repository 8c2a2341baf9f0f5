import { ProcessorForm } from '../processor-form';

export default function NewProcessorPage() {
  return (
    <>
      <div className="page-header">
        <h1>New email processor</h1>
      </div>
      <ProcessorForm />
    </>
  );
}

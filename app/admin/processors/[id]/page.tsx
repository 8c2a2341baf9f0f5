import { ProcessorDetail } from './processor-detail';

export default async function ProcessorPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ProcessorDetail id={id} />;
}

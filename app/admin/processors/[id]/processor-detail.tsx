'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { formatWhen, ProcessorNotices, ProcessorStateBadge } from '../../../components/processor-state';
import { messageOf } from '../../../form-errors';
import { useToast } from '../../../toast';
import { useTRPC } from '../../../trpc';
import { ProcessorForm } from '../processor-form';
import { FiltersSection } from './filters-section';
import { OAuthSection } from './oauth-section';
import { OutgoingSection } from './outgoing-section';
import { TrySample } from './try-sample';

const STATE_REFRESH_MS = 3_000;

export function ProcessorDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const queryClient = useQueryClient();
  const processor = useQuery({ ...trpc.processors.get.queryOptions({ id }), refetchInterval: STATE_REFRESH_MS });
  const outgoing = useQuery({ ...trpc.processors.outgoingMail.queryOptions(), refetchInterval: STATE_REFRESH_MS });
  // A processor with its own SMTP server does not need the workers' system transport.
  const ownSmtp = useQuery(trpc.outgoingServers.get.queryOptions({ processorId: id })).data?.mode === 'smtp';
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.processors.pathKey() });
  const setActive = useMutation(trpc.processors.setActive.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(trpc.processors.delete.mutationOptions());

  if (processor.isError) {
    return (
      <section className="card">
        <p className="form-error">{processor.error.message}</p>
        <Link href="/admin/processors">Back to email processors</Link>
      </section>
    );
  }
  if (processor.isPending) return <p className="muted">Loading…</p>;
  const p = processor.data;

  async function toggleActive() {
    try {
      await setActive.mutateAsync({ id, active: !p.active });
      toast.success(p.active ? 'Processing paused.' : 'Processing resumed.');
    } catch (err) {
      toast.error(messageOf(err));
    }
  }

  async function onDelete() {
    if (!window.confirm(`Delete the processor for ${p.emailAddress}? Its cases stay; the mailbox is no longer read.`)) return;
    try {
      await remove.mutateAsync({ id });
      await invalidate();
      toast.success('Email processor deleted.');
      router.push('/admin/processors');
    } catch (err) {
      toast.error(messageOf(err));
    }
  }

  return (
    <div className="stack">
      <div className="page-header">
        <div>
          <p className="muted">
            <Link href="/admin/processors">Email processors</Link> /
          </p>
          <h1>
            {p.name} <span className="muted">&lt;{p.emailAddress}&gt;</span>
          </h1>
          <p>
            <ProcessorStateBadge state={p.state} /> · last sync {formatWhen(p.lastSuccessAt)}
          </p>
        </div>
        <div className="row-actions">
          <button type="button" className="button" onClick={toggleActive} disabled={setActive.isPending}>
            {p.active ? 'Deactivate' : 'Activate'}
          </button>
          <button type="button" className="button danger" onClick={onDelete} disabled={remove.isPending}>
            Delete
          </button>
        </div>
      </div>
      <ProcessorNotices notices={p.notices} />
      <OAuthSection processor={p} />
      {p.state.kind === 'needs_filter' && (
        <p className="form-error" role="note">
          Not running yet: this processor needs at least one filter to know what cases to create. <a href="#filters">Add a filter</a>.
        </p>
      )}
      {p.autoReply && outgoing.data && (outgoing.data.liveWorkers === 0 || (!ownSmtp && outgoing.data.sendingWorkers === 0)) && (
        <p className="form-warning" role="note" data-testid="no-outgoing-transport">
          {outgoing.data.liveWorkers === 0
            ? 'No worker is running: this mailbox is not read and auto-replies are not sent. Start the worker.'
            : 'Auto reply is on, but no outgoing mail transport is configured: auto-replies wait unsent in the outbox. Set RESEND_API_KEY or SMTP_URL on the worker and restart it.'}
        </p>
      )}
      <ProcessorForm key={p.id} processor={p} />
      <FiltersSection processorId={id} />
      <OutgoingSection processorId={id} />
      <TrySample processorId={id} />
    </div>
  );
}

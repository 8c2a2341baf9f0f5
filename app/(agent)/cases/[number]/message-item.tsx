'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { MessageAddress } from '@/server/db/schema';
import type { SenderSource } from '@/server/domain/choose-sender';
import { type DeliveryReport, describeDeliveryReport } from '@/server/domain/delivery-status';
import { describeOutboxDelivery, mayRetryByHand } from '@/server/domain/outbox-delivery';
import type { ThreadMessage } from '@/server/services/case-thread';
import { messageOf } from '../../../form-errors';
import { useTRPC } from '../../../trpc';
import { formatBytes, formatDateTime } from '../../components/format';
import { MessageCaseWork } from './case-work';
import { MessageFrame } from './message-frame';

const JOINED: Record<ThreadMessage['threadReason'], string> = {
  new: 'Started this case',
  tag: 'Joined by the case tag in its subject',
  reference: 'Joined as a reply to an earlier message',
};

// Said only when the sender is not the From header's: an agent should know the address was found elsewhere.
const SENDER_SOURCE: Partial<Record<SenderSource, string>> = {
  sender: 'Sender taken from the Sender header: the From header has no usable address.',
  reply_to: 'Sender taken from the Reply-To header: neither From nor Sender has a usable address.',
  none: 'No sender address: From, Sender and Reply-To have none.',
};

// A bounce's delivery status, shown above its text rather than folded into it.
function DeliveryReportNotice({ report }: { report: DeliveryReport }) {
  const { headline, recipients } = describeDeliveryReport(report);
  return (
    <section className="delivery-report form-warning" aria-label="Delivery report" data-testid="delivery-report">
      <div>{headline}</div>
      {recipients.length > 0 && (
        <ul className="small">
          {recipients.map((r, i) => (
            <li key={`${r.address}-${i}`} data-testid="delivery-recipient">
              <strong>{r.address}</strong>: {r.outcome}
              {r.status && <> (status {r.status})</>}
              {r.diagnostic && <div className="muted">{r.diagnostic}</div>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function addresses(list: MessageAddress[]): string {
  return list.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(', ');
}

const SENT_COPY: Record<'pending' | 'done' | 'failed', string> = {
  pending: 'Copy to the Sent folder: waiting',
  done: 'Copy in the Sent folder',
  failed: 'Copy to the Sent folder failed (retried)',
};

// The retry button of a failed (or in-doubt) outbound message: sends it again through the outbox.
function RetryButton({ outboxId }: { outboxId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const retry = useMutation(
    trpc.replies.retry.mutationOptions({ onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.cases.get.pathKey() }) }),
  );
  return (
    <div className="delivery-retry">
      <button type="button" className="button small" disabled={retry.isPending} onClick={() => retry.mutate({ outboundId: outboxId })}>
        {retry.isPending ? 'Retrying…' : 'Retry'}
      </button>
      {retry.isError && <span className="field-error small"> {messageOf(retry.error)}</span>}
    </div>
  );
}

// An outbound message is labelled "sent by Leopard" only once the outbox recorded the send.
function DeliveryBadge({ message: m }: { message: ThreadMessage }) {
  if (!m.delivery) {
    return (
      <span className="badge delivery-error" data-testid="delivery-state" data-state="unknown">
        not recorded as sent
      </span>
    );
  }
  const { label, tone, detail } = describeOutboxDelivery(m.delivery);
  return (
    <>
      <span className={`badge delivery-${tone}`} data-testid="delivery-state" data-state={m.delivery.state}>
        {label}
      </span>
      {detail && (
        <div className={`small delivery-detail-${tone}`} data-testid="delivery-detail">
          {detail}
        </div>
      )}
      {m.outboxId && mayRetryByHand(m.delivery) && <RetryButton outboxId={m.outboxId} />}
      {m.sentCopy && m.sentCopy.status !== 'off' && (m.delivery.state === 'sent' || m.delivery.state === 'bounced') && (
        <div className={`small ${m.sentCopy.status === 'failed' ? 'delivery-detail-warn' : 'muted'}`} data-testid="sent-copy" data-state={m.sentCopy.status}>
          {SENT_COPY[m.sentCopy.status]}
          {m.sentCopy.status === 'failed' && m.sentCopy.error && `: ${m.sentCopy.error}`}
        </div>
      )}
    </>
  );
}

// An internal note: in the thread for colleagues, never emailed, and styled so nobody takes it for mail.
function NoteItem({ message: m }: { message: ThreadMessage }) {
  const date = m.receivedAt;
  return (
    <article className="card message message-note" aria-label={`Internal note by ${m.author?.name ?? m.fromName}`} data-testid="message" data-direction="note">
      <header className="message-header">
        <div>
          <span className="badge note-badge">Internal note — not emailed</span> <strong>{m.author?.name ?? m.fromName}</strong>
        </div>
        <time className="muted small" dateTime={date.toISOString()}>
          {formatDateTime(date)}
        </time>
      </header>
      <pre className="message-text">{m.text ?? ''}</pre>
    </article>
  );
}

const AUTH_METHODS = [
  ['spf', 'SPF'],
  ['dkim', 'DKIM'],
  ['dmarc', 'DMARC'],
] as const;

/** What the processor's mail server found when it checked the sender (Authentication-Results). */
function SenderAuthenticationLine({ auth }: { auth: NonNullable<ThreadMessage['authentication']> }) {
  const server = auth.authservId === '(none)' ? 'Microsoft 365' : auth.authservId;
  return (
    <div className="small sender-authentication" data-testid="sender-authentication" data-dmarc={auth.dmarc ?? 'unknown'}>
      {AUTH_METHODS.map(([key, label]) => {
        const result = auth[key];
        const tone = result === 'pass' ? 'delivery-ok' : result === 'fail' ? 'delivery-error' : '';
        return (
          <span key={key} className={`badge ${tone}`} data-testid={`auth-${key}`}>
            {label} {result ?? 'not checked'}
          </span>
        );
      })}{' '}
      <span className="muted">checked by {server}</span>
      {auth.dmarc === 'fail' && (
        <div className="form-warning">
          DMARC failed: this message may not come from {auth.fromDomain ?? 'the domain in its From line'}. It was not matched to a contact by its address alone.
        </div>
      )}
    </div>
  );
}

export function MessageItem({ message: m }: { message: ThreadMessage }) {
  if (m.direction === 'note') return <NoteItem message={m} />;
  const from = m.fromName ? `${m.fromName} <${m.fromAddress}>` : m.fromAddress || 'unknown sender';
  const date = m.sentAt ?? m.receivedAt;
  return (
    <article
      className={`card message${m.direction === 'outbound' ? ' message-outbound' : ''}`}
      aria-label={`Message from ${m.fromName || m.fromAddress}`}
      data-testid="message"
      data-direction={m.direction}
    >
      <header className="message-header">
        <div>
          <strong>{from}</strong>
          {m.direction === 'outbound' && <DeliveryBadge message={m} />}
          {m.direction === 'outbound' && m.author && (
            <div className="muted small" data-testid="reply-author">
              Reply by {m.author.name}
            </div>
          )}
          {SENDER_SOURCE[m.senderSource] && (
            <div className="muted small" data-testid="sender-source" data-source={m.senderSource}>
              {SENDER_SOURCE[m.senderSource]}
            </div>
          )}
          {m.direction === 'inbound' && m.authentication && <SenderAuthenticationLine auth={m.authentication} />}
          {m.to.length > 0 && <div className="muted small">To: {addresses(m.to)}</div>}
          {m.cc.length > 0 && <div className="muted small">Cc: {addresses(m.cc)}</div>}
          {m.subject && <div className="small">{m.subject}</div>}
        </div>
        <time className="muted small" dateTime={date.toISOString()}>
          {formatDateTime(date)}
        </time>
      </header>
      {!(m.direction === 'outbound' && m.author) && (
        <p className="message-reason small" data-testid="thread-reason" data-reason={m.threadReason}>
          {JOINED[m.threadReason]}
          {m.threadNote && <span className="muted">: {m.threadNote}</span>}
        </p>
      )}
      {m.deliveryReport && <DeliveryReportNotice report={m.deliveryReport} />}
      {m.html !== null ? (
        <MessageFrame messageId={m.id} html={m.html} remoteImages={m.remoteImages} title={`Message from ${from}`} />
      ) : (
        <pre className="message-text">{m.text ?? ''}</pre>
      )}
      {m.attachments.length > 0 && (
        <ul className="attachments" aria-label="Attachments">
          {m.attachments.map((a) => (
            <li key={a.id}>
              <a href={a.url} download={a.filename || true}>
                {a.filename || 'attachment'}
              </a>{' '}
              <span className="muted small">
                {a.contentType}, {formatBytes(a.size)}
              </span>
            </li>
          ))}
        </ul>
      )}
      <MessageCaseWork messageId={m.id} />
    </article>
  );
}

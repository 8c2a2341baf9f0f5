import type { MessageAddress } from '@/server/db/schema';
import { describeOutboxDelivery } from '@/server/domain/outbox-delivery';
import type { ThreadMessage } from '@/server/services/case-thread';
import { formatBytes, formatDateTime } from '../../components/format';
import { MessageFrame } from './message-frame';

const JOINED: Record<ThreadMessage['threadReason'], string> = {
  new: 'Started this case',
  tag: 'Joined by the case tag in its subject',
  reference: 'Joined as a reply to an earlier message',
};

function addresses(list: MessageAddress[]): string {
  return list.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(', ');
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
      {detail && <div className={`small delivery-detail-${tone}`}>{detail}</div>}
    </>
  );
}

export function MessageItem({ message: m }: { message: ThreadMessage }) {
  const from = m.fromName ? `${m.fromName} <${m.fromAddress}>` : m.fromAddress || 'unknown sender';
  const date = m.sentAt ?? m.receivedAt;
  return (
    <article className="card message" aria-label={`Message from ${m.fromName || m.fromAddress}`} data-testid="message">
      <header className="message-header">
        <div>
          <strong>{from}</strong>
          {m.direction === 'outbound' && <DeliveryBadge message={m} />}
          {m.to.length > 0 && <div className="muted small">To: {addresses(m.to)}</div>}
          {m.cc.length > 0 && <div className="muted small">Cc: {addresses(m.cc)}</div>}
          {m.subject && <div className="small">{m.subject}</div>}
        </div>
        <time className="muted small" dateTime={date.toISOString()}>
          {formatDateTime(date)}
        </time>
      </header>
      <p className="message-reason small" data-testid="thread-reason" data-reason={m.threadReason}>
        {JOINED[m.threadReason]}
        {m.threadNote && <span className="muted">: {m.threadNote}</span>}
      </p>
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
    </article>
  );
}

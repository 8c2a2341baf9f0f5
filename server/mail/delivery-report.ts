// A bounce's delivery report, from the parts mailparser gives: the message/delivery-status part
// (RFC 3464, read by server/domain/delivery-status.ts) and the returned message or its headers
// (message/rfc822, text/rfc822-headers), whose Message-ID and references say which message bounced.
import { type DeliveryReport, parseDeliveryStatus } from '../domain/delivery-status';
import type { AttachedHeader } from './attached-header';
import { isAttachedMessage, isDeliveryStatus } from './attachment-name';

export type ReportPart = { contentType: string; content: Buffer; attachedHeader: AttachedHeader | null };

/**
 * Null when no part is a delivery status: the message is not a bounce in the RFC 3464 sense. Gmail sends
 * an empty delivery-status part and names the failed addresses in X-Failed-Recipients; those count then.
 */
export function readDeliveryReport(parts: ReportPart[], headers: Record<string, string[]>): DeliveryReport | null {
  const status = parts.find((p) => isDeliveryStatus(p.contentType));
  if (status === undefined) return null;
  // message/global-delivery-status is UTF-8 (RFC 6533); message/delivery-status is ASCII, read leniently.
  const text = status.content.toString(status.contentType === 'message/global-delivery-status' ? 'utf8' : 'latin1').replace(/\u0000/g, '');
  const returned = parts.find((p) => isAttachedMessage(p.contentType) && p.attachedHeader !== null)?.attachedHeader ?? null;
  const parsed = parseDeliveryStatus(text);
  const recipients =
    parsed.recipients.length > 0
      ? parsed.recipients
      : (headers['x-failed-recipients'] ?? [])
          .flatMap((v) => v.split(','))
          .map((a) => a.trim())
          .filter((a) => a !== '')
          .map((address) => ({ finalRecipient: address, originalRecipient: null, action: 'failed', status: null, diagnosticCode: null, remoteMta: null }));
  return {
    ...parsed,
    recipients,
    originalMessageId: returned?.messageId ?? null,
    originalReferences: returned?.references ?? [],
    originalSubject: returned?.subject ?? null,
  };
}

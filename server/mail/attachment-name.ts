// A file name for every attachment, so that a download opens in the program its type belongs to. Many
// parts carry no name: a forwarded or returned message (message/rfc822), a bounce's delivery status, CID
// images without Content-Disposition. Such a part is named
//   - an attached message (message/rfc822, message/global, or a bounce's returned headers,
//     text/rfc822-headers): its subject + `.eml`, which any mail program opens;
//   - a delivery status (message/delivery-status): `delivery-status.txt`;
//   - anything else: `part-N.<extension of its type>` (N counts the message's attachments from 1; the
//     extension comes from libmime's type table, `bin` when the type is unknown).
// A name that the sender wrote is kept; a name made here never holds a path separator or a character
// that Windows refuses in a file name.
import libmime from 'libmime';

const MESSAGE_TYPES = new Set(['message/rfc822', 'message/global', 'text/rfc822-headers']);
const DELIVERY_STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);

/** Types whose extension libmime does not know or gets wrong for a download. */
const EXTENSIONS: Record<string, string> = {
  'message/rfc822': 'eml',
  'message/global': 'eml',
  'text/rfc822-headers': 'eml',
  'application/ms-tnef': 'dat',
  'application/vnd.ms-tnef': 'dat',
  'message/disposition-notification': 'txt',
  'message/feedback-report': 'txt',
  'text/plain': 'txt',
};

/** At most this many characters of a subject go into a file name; file systems allow 255 bytes. */
const MAX_SUBJECT_CHARS = 100;

export function isAttachedMessage(contentType: string): boolean {
  return MESSAGE_TYPES.has(contentType);
}

export function isDeliveryStatus(contentType: string): boolean {
  return DELIVERY_STATUS_TYPES.has(contentType);
}

export function extensionFor(contentType: string): string {
  const known = EXTENSIONS[contentType];
  if (known) return known;
  const detected = libmime.detectExtension(contentType);
  if (detected && detected !== 'bin') return detected;
  return contentType.startsWith('text/') ? 'txt' : 'bin';
}

/** Characters a file name must not hold on common systems, and control characters. */
function safeFileName(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f<>:"/\\|?*]+/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+|[.\s]+$/g, '');
}

export type AttachmentNameOptions = {
  /** As the sender wrote it (may be ''). */
  filename: string;
  contentType: string;
  /** 1-based position among the message's attachments. */
  position: number;
  /** The attached message's subject, for message parts. */
  subject?: string | null;
};

export function attachmentName({ filename, contentType, position, subject }: AttachmentNameOptions): string {
  const written = filename.trim();
  if (written !== '' && safeFileName(written) !== '') return written;
  if (isDeliveryStatus(contentType)) return 'delivery-status.txt';
  if (isAttachedMessage(contentType)) {
    const base = safeFileName(subject ?? '').slice(0, MAX_SUBJECT_CHARS).trim();
    if (base !== '') return `${base}.eml`;
  }
  return `part-${position}.${extensionFor(contentType)}`;
}

import { describe, expect, it } from 'vitest';
import { attachmentName, extensionFor } from './attachment-name';

describe('attachmentName', () => {
  it('keeps the name the sender wrote', () => {
    expect(attachmentName({ filename: 'invoice.pdf', contentType: 'application/pdf', position: 1 })).toBe('invoice.pdf');
  });

  it('names an attached message by its subject, without characters a file name cannot hold', () => {
    expect(attachmentName({ filename: '', contentType: 'message/rfc822', position: 2, subject: 'Re: a/b? "c"' })).toBe('Re_ a_b_ _c_.eml');
  });

  it('names an attached message without a subject part-N.eml', () => {
    expect(attachmentName({ filename: '', contentType: 'message/rfc822', position: 2, subject: null })).toBe('part-2.eml');
  });

  it('names a delivery status delivery-status.txt', () => {
    expect(attachmentName({ filename: '', contentType: 'message/delivery-status', position: 1 })).toBe('delivery-status.txt');
  });

  it('names other parts part-N with the extension of their type', () => {
    expect(attachmentName({ filename: '', contentType: 'image/jpeg', position: 3 })).toMatch(/^part-3\.jpe?g$/);
    expect(attachmentName({ filename: '  ', contentType: 'text/calendar', position: 1 })).toBe('part-1.ics');
    expect(attachmentName({ filename: '', contentType: 'application/x-unheard-of', position: 4 })).toBe('part-4.bin');
    expect(attachmentName({ filename: '', contentType: 'text/x-unheard-of', position: 5 })).toBe('part-5.txt');
  });

  it('caps a long subject', () => {
    const name = attachmentName({ filename: '', contentType: 'message/rfc822', position: 1, subject: 'x'.repeat(500) });
    expect(name.length).toBeLessThanOrEqual(104);
    expect(name.endsWith('.eml')).toBe(true);
  });
});

describe('extensionFor', () => {
  it('knows the types mail carries that libmime does not name', () => {
    expect(extensionFor('text/rfc822-headers')).toBe('eml');
    expect(extensionFor('application/ms-tnef')).toBe('dat');
    expect(extensionFor('application/pdf')).toBe('pdf');
  });
});

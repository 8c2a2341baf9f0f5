import { describe, expect, it } from 'vitest';
import { addressProblem, checkRecipients, defaultRecipients, formatRecipientList, MAX_RECIPIENTS, parseRecipientList } from './reply-recipients';

const r = (address: string, name = '') => ({ address, name });

describe('the recipients of a reply', () => {
  it('go to the Reply-To of the answered mail over its From, and copy everyone else but our own mailboxes', () => {
    const answered = {
      direction: 'inbound' as const,
      fromAddress: 'jane@customer.example',
      fromName: 'Jane',
      replyTo: [r('tickets@customer.example', 'Tickets')],
      to: [r('support@leopard.example'), r('boss@customer.example')],
      cc: [r('Support@Leopard.example'), r('tickets@customer.example'), r('bob@customer.example')],
    };
    expect(defaultRecipients(answered, ['support@leopard.example'])).toEqual({
      to: [r('tickets@customer.example', 'Tickets')],
      cc: [r('boss@customer.example'), r('bob@customer.example')],
    });
    expect(defaultRecipients({ ...answered, replyTo: [] }, ['support@leopard.example']).to).toEqual([r('jane@customer.example', 'Jane')]);
  });

  it('of a follow-up to our own reply go to the same people again', () => {
    const ours = { direction: 'outbound' as const, fromAddress: 'support@leopard.example', fromName: '', replyTo: [], to: [r('jane@c.example')], cc: [r('bob@c.example')] };
    expect(defaultRecipients(ours, ['support@leopard.example'])).toEqual({ to: [r('jane@c.example')], cc: [r('bob@c.example')] });
  });

  it('refuse line breaks, header injection and things that are not addresses', () => {
    expect(addressProblem('jane@example.com')).toBeNull();
    expect(addressProblem('jane@example.com\r\nBcc: all@example.com')).toContain('line break');
    expect(addressProblem('jane@example.com, evil@example.com')).toContain('not an email address');
    expect(addressProblem('"x" <jane@example.com>')).toContain('not an email address');
    expect(addressProblem('jane')).toContain('not an email address');
    expect(checkRecipients({ to: [r('jane@example.com', 'Jane\nBcc: x@y.z')], cc: [] })).toEqual({ ok: false, errors: { to: 'The name for jane@example.com contains a line break.' } });
  });

  it('are at most 50 in all, at least one To, each once', () => {
    const many = Array.from({ length: MAX_RECIPIENTS }, (_, i) => r(`p${i}@example.com`));
    expect(checkRecipients({ to: [r('a@example.com')], cc: many })).toMatchObject({ ok: false, errors: { cc: expect.stringContaining('At most 50') } });
    expect(checkRecipients({ to: [], cc: [r('a@example.com')] })).toMatchObject({ ok: false, errors: { to: 'Add at least one recipient.' } });
    expect(checkRecipients({ to: [r('A@example.com'), r('a@example.com')], cc: [r('a@EXAMPLE.com'), r('b@example.com')] })).toEqual({
      ok: true,
      to: [r('A@example.com')],
      cc: [r('b@example.com')],
    });
  });

  it('are read from what an agent types into the field', () => {
    expect(parseRecipientList('Jane <jane@example.com>; bob@example.com\n')).toEqual([r('jane@example.com', 'Jane'), r('bob@example.com')]);
    expect(parseRecipientList('Jane Doe <jane@example.com>, bob@example.com')).toEqual([r('jane@example.com', 'Jane Doe'), r('bob@example.com')]);
  });

  it('are shown in the field so that reading the field back gives the same recipients, less names that would split it', () => {
    const list = [r('jane@example.com', 'Jane Doe'), r('bob@example.com'), r('doe@example.com', 'Doe, John'), r('q@example.com', 'The "Boss"')];
    expect(formatRecipientList(list)).toBe('Jane Doe <jane@example.com>, bob@example.com, doe@example.com, q@example.com');
    expect(parseRecipientList(formatRecipientList(list))).toEqual([r('jane@example.com', 'Jane Doe'), r('bob@example.com'), r('doe@example.com'), r('q@example.com')]);
  });
});

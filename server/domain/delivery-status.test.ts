import { describe, expect, it } from 'vitest';
import { describeDeliveryReport, failedRecipients, parseDeliveryStatus } from './delivery-status';

const postfix = [
  'Reporting-MTA: dns; mail.acme.example',
  'X-Postfix-Queue-ID: 4F1A2B3C',
  'Arrival-Date: Tue,  4 Mar 2025 10:00:00 +0000 (UTC)',
  '',
  'Final-Recipient: rfc822; jane@customer.example',
  'Original-Recipient: rfc822;Jane@Customer.example',
  'Action: failed',
  'Status: 5.1.1',
  'Remote-MTA: dns; mx.customer.example',
  'Diagnostic-Code: smtp; 550 5.1.1 <jane@customer.example>: Recipient address',
  '    rejected: User unknown in virtual mailbox table',
  '',
  'Final-Recipient: rfc822; bob@customer.example',
  'Action: delayed',
  'Status: 4.4.1',
  'Diagnostic-Code: X-Postfix; connect to mx.customer.example: Connection timed out',
  '',
].join('\r\n');

describe('parseDeliveryStatus (RFC 3464)', () => {
  it('reads the per-message fields and one entry per recipient', () => {
    const report = parseDeliveryStatus(postfix);
    expect(report.reportingMta).toBe('mail.acme.example');
    expect(report.arrivalDate).toBe('Tue,  4 Mar 2025 10:00:00 +0000 (UTC)');
    expect(report.recipients).toEqual([
      {
        finalRecipient: 'jane@customer.example',
        originalRecipient: 'Jane@Customer.example',
        action: 'failed',
        status: '5.1.1',
        diagnosticCode: '550 5.1.1 <jane@customer.example>: Recipient address rejected: User unknown in virtual mailbox table',
        remoteMta: 'mx.customer.example',
      },
      {
        finalRecipient: 'bob@customer.example',
        originalRecipient: null,
        action: 'delayed',
        status: '4.4.1',
        diagnosticCode: 'connect to mx.customer.example: Connection timed out',
        remoteMta: null,
      },
    ]);
  });

  it('reads field names in any case, LF line ends and a status with a comment', () => {
    const report = parseDeliveryStatus('reporting-mta: dns;mx.example\n\nFINAL-RECIPIENT: RFC822;<a@b.example>\nACTION: Failed\nSTATUS: 5.0.0 (permanent failure)\n');
    expect(report.recipients).toEqual([
      { finalRecipient: 'a@b.example', originalRecipient: null, action: 'failed', status: '5.0.0', diagnosticCode: null, remoteMta: null },
    ]);
  });

  it('takes a report without the blank line between message and recipient fields', () => {
    const report = parseDeliveryStatus('Reporting-MTA: dns; mx.example\nFinal-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.1.1\n');
    expect(report.reportingMta).toBe('mx.example');
    expect(report.recipients.map((r) => r.finalRecipient)).toEqual(['a@b.example']);
  });

  it('gives no recipients for an empty part', () => {
    expect(parseDeliveryStatus('')).toEqual({ reportingMta: null, arrivalDate: null, recipients: [] });
  });
});

describe('failedRecipients', () => {
  it('counts Action failed and, without an action, a permanent 5.x.x status', () => {
    const report = parseDeliveryStatus(`${postfix}\r\nFinal-Recipient: rfc822; c@customer.example\r\nStatus: 5.2.2\r\n`);
    expect(failedRecipients(report).map((r) => r.finalRecipient)).toEqual(['jane@customer.example', 'c@customer.example']);
  });
});

describe('describeDeliveryReport', () => {
  it('says which message did not reach whom, failed recipients first, with status and diagnostic', () => {
    const notice = describeDeliveryReport({ ...parseDeliveryStatus(postfix), originalSubject: 'Printer on fire' });
    expect(notice.headline).toBe('Delivery failed: the message "Printer on fire" did not reach one recipient.');
    expect(notice.recipients).toEqual([
      {
        address: 'jane@customer.example',
        outcome: 'not delivered',
        status: '5.1.1',
        diagnostic: '550 5.1.1 <jane@customer.example>: Recipient address rejected: User unknown in virtual mailbox table',
      },
      { address: 'bob@customer.example', outcome: 'delayed, still trying', status: '4.4.1', diagnostic: 'connect to mx.customer.example: Connection timed out' },
    ]);
  });

  it('calls a report of delays only a delay', () => {
    const notice = describeDeliveryReport({ ...parseDeliveryStatus('Final-Recipient: rfc822; a@b.example\nAction: delayed\n'), originalSubject: null });
    expect(notice.headline).toBe('Delivery delayed: the message has not reached one recipient yet.');
  });
});

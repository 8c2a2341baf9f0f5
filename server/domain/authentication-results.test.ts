import { describe, expect, it } from 'vitest';
import { parseAuthenticationResults, readSenderAuthentication, senderAuthenticityOutcome } from './authentication-results';

// Header values as the parser hands them over: unfolded, topmost header first.
const GMAIL =
  'mx.google.com; dkim=pass header.i=@example.com header.s=s2024 header.b=kQ3x+Yz1; ' +
  'spf=pass (google.com: domain of jane@example.com designates 209.85.220.41 as permitted sender) smtp.mailfrom=jane@example.com; ' +
  'dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com';
const GMAIL_FAIL =
  'mx.google.com; dkim=fail header.i=@paypal.com header.s=pp-dkim1 header.b="abc;def"; ' +
  'spf=fail (google.com: domain of service@paypal.com does not designate 203.0.113.9 as permitted sender) smtp.mailfrom=service@paypal.com; ' +
  'dmarc=fail (p=REJECT sp=REJECT dis=QUARANTINE) header.from=paypal.com';
const MICROSOFT =
  'spf=pass (sender IP is 40.107.22.75) smtp.mailfrom=contoso.com; dkim=pass (signature was verified) header.d=contoso.com;' +
  'dmarc=pass action=none header.from=contoso.com;compauth=pass reason=100';
const MICROSOFT_SPOOF =
  'spf=softfail (sender IP is 198.51.100.7) smtp.mailfrom=fabrikam.com; dkim=none (message not signed) header.d=none;' +
  'dmarc=fail action=quarantine header.from=fabrikam.com;compauth=fail reason=000';
const FASTMAIL =
  'mx3.messagingengine.com; dkim=pass (2048-bit rsa key sha256) header.d=example.org header.i=@example.org header.b=Xy12AbCd header.a=rsa-sha256 header.s=fm1 x-bits=2048; ' +
  'dmarc=pass policy.published-domain-policy=none policy.applied-disposition=none policy.evaluated-disposition=none (p=none,d=none,d.eval=none) policy.policy-from=p header.from=example.org; ' +
  'iprev=pass smtp.remote-ip=192.0.2.10 (mail.example.org); spf=pass smtp.mailfrom=bob@example.org smtp.helo=mail.example.org; ' +
  'x-aligned-from=pass (Address match); x-me-sender=none; x-ptr=pass smtp.helo=mail.example.org policy.ptr=mail.example.org';
// Postfix with OpenDMARC, OpenDKIM and policyd-spf: one header per milter, the last to run on top.
const POSTFIX = [
  'mail.leopard.example; dmarc=fail (p=reject dis=none) header.from=bank.example',
  'mail.leopard.example; dkim=none; dkim-atps=neutral',
  'mail.leopard.example; spf=fail smtp.mailfrom=bank.example',
];

describe('parseAuthenticationResults', () => {
  it('reads the authserv-id and each result with its properties, ignoring comments', () => {
    expect(parseAuthenticationResults(GMAIL)).toEqual({
      authservId: 'mx.google.com',
      results: [
        { method: 'dkim', result: 'pass', properties: { 'header.i': '@example.com', 'header.s': 's2024', 'header.b': 'kQ3x+Yz1' } },
        { method: 'spf', result: 'pass', properties: { 'smtp.mailfrom': 'jane@example.com' } },
        { method: 'dmarc', result: 'pass', properties: { 'header.from': 'example.com' } },
      ],
    });
  });

  it('keeps a semicolon inside a quoted value and a version after the id', () => {
    const parsed = parseAuthenticationResults('mx.example.net 1; dkim=fail header.b="abc;def" (bad; sig); spf=pass');
    expect(parsed?.authservId).toBe('mx.example.net');
    expect(parsed?.results.map((r) => [r.method, r.result, r.properties['header.b']])).toEqual([
      ['dkim', 'fail', 'abc;def'],
      ['spf', 'pass', undefined],
    ]);
  });

  it('reads Microsoft’s form, which has no authserv-id, as "(none)"', () => {
    const parsed = parseAuthenticationResults(MICROSOFT);
    expect(parsed?.authservId).toBe('(none)');
    expect(parsed?.results.map((r) => `${r.method}=${r.result}`)).toEqual(['spf=pass', 'dkim=pass', 'dmarc=pass', 'compauth=pass']);
  });

  it('reads "none" (nothing checked) as an id with no results', () => {
    expect(parseAuthenticationResults('mx.example.com; none')).toEqual({ authservId: 'mx.example.com', results: [] });
  });

  it('gives nothing for an empty or unreadable value', () => {
    expect(parseAuthenticationResults('')).toBeNull();
    expect(parseAuthenticationResults('(only a comment)')).toBeNull();
  });
});

describe('readSenderAuthentication', () => {
  it('reads Gmail’s results', () => {
    expect(readSenderAuthentication([GMAIL], 'mx.google.com')).toEqual({
      authservId: 'mx.google.com',
      spf: 'pass',
      dkim: 'pass',
      dmarc: 'pass',
      compauth: null,
      fromDomain: 'example.com',
    });
    expect(readSenderAuthentication([GMAIL_FAIL], 'MX.Google.com')).toMatchObject({ spf: 'fail', dkim: 'fail', dmarc: 'fail', fromDomain: 'paypal.com' });
  });

  it('reads Microsoft 365’s id-less results, compauth included, when the processor names "(none)"', () => {
    expect(readSenderAuthentication([MICROSOFT_SPOOF], '(none)')).toEqual({
      authservId: '(none)',
      spf: 'softfail',
      dkim: 'none',
      dmarc: 'fail',
      compauth: 'fail',
      fromDomain: 'fabrikam.com',
    });
    expect(readSenderAuthentication([MICROSOFT], 'outlook.com')).toBeNull();
  });

  it('reads Fastmail’s results among its extra methods', () => {
    expect(readSenderAuthentication([FASTMAIL], 'mx3.messagingengine.com')).toMatchObject({ spf: 'pass', dkim: 'pass', dmarc: 'pass', fromDomain: 'example.org' });
  });

  it('collects the methods of Postfix + OpenDKIM + OpenDMARC from their separate headers', () => {
    expect(readSenderAuthentication(POSTFIX, 'mail.leopard.example')).toEqual({
      authservId: 'mail.leopard.example',
      spf: 'fail',
      dkim: 'none',
      dmarc: 'fail',
      compauth: null,
      fromDomain: 'bank.example',
    });
  });

  it('ignores results forged under other authserv-ids', () => {
    const forged = ['evil.example; dmarc=pass header.from=bank.example', 'mx.google.com; dmarc=pass header.from=bank.example'];
    expect(readSenderAuthentication([...forged, POSTFIX[0]!], 'mail.leopard.example')).toMatchObject({ dmarc: 'fail' });
    expect(readSenderAuthentication(forged, 'mail.leopard.example')).toBeNull();
  });

  it('takes the topmost result when a sender forged a header with the server’s own id below it', () => {
    const forgedBelow = 'mail.leopard.example; spf=pass; dkim=pass; dmarc=pass header.from=bank.example';
    expect(readSenderAuthentication([...POSTFIX, forgedBelow], 'mail.leopard.example')).toMatchObject({ spf: 'fail', dkim: 'none', dmarc: 'fail' });
  });

  it('passes DKIM when any of several signatures in the topmost header passed', () => {
    const value = 'mx.example.net; dkim=fail header.d=old.example; dkim=pass header.d=example.com; dmarc=pass header.from=example.com';
    expect(readSenderAuthentication([value], 'mx.example.net')?.dkim).toBe('pass');
  });

  it('reads nothing until the processor names its server', () => {
    expect(readSenderAuthentication([GMAIL], null)).toBeNull();
    expect(readSenderAuthentication([GMAIL], '  ')).toBeNull();
  });
});

describe('senderAuthenticityOutcome', () => {
  const all = { newContact: true, noAutoReply: true, flag: true };
  const fail = readSenderAuthentication([GMAIL_FAIL], 'mx.google.com');

  it('distrusts the address, skips the auto-reply and flags the case when DMARC failed', () => {
    expect(senderAuthenticityOutcome(fail, all)).toEqual({ distrustAddress: true, noAutoReply: true, flag: true });
  });

  it('does each only when its setting is on', () => {
    expect(senderAuthenticityOutcome(fail, { newContact: false, noAutoReply: true, flag: false })).toEqual({ distrustAddress: false, noAutoReply: true, flag: false });
  });

  it('does nothing for a pass, a missing result, softfail SPF or no results at all', () => {
    const none = { distrustAddress: false, noAutoReply: false, flag: false };
    expect(senderAuthenticityOutcome(readSenderAuthentication([GMAIL], 'mx.google.com'), all)).toEqual(none);
    expect(senderAuthenticityOutcome(readSenderAuthentication(['mx.example.net; spf=softfail'], 'mx.example.net'), all)).toEqual(none);
    expect(senderAuthenticityOutcome(null, all)).toEqual(none);
  });
});

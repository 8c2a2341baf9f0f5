import { describe, expect, it } from 'vitest';
import { deriveProcessorState, isRunnable, processorNotices, type ProcessorStateInput } from './processor-state';

const base: ProcessorStateInput = { active: true, filterCount: 1, syncStatus: 'idle', lastError: null, importDone: 0, importTotal: 0 };

describe('processor state', () => {
  it('is inactive when switched off, whatever the worker last said', () => {
    expect(deriveProcessorState({ ...base, active: false, syncStatus: 'error', lastError: 'x' }).kind).toBe('inactive');
  });

  it('needs a filter when active without filters, and is then not runnable', () => {
    expect(deriveProcessorState({ ...base, filterCount: 0 })).toEqual({ kind: 'needs_filter', label: 'Needs a filter' });
    expect(isRunnable({ active: true, filterCount: 0 })).toBe(false);
    expect(isRunnable({ active: true, filterCount: 2 })).toBe(true);
  });

  it('shows import progress as n of m', () => {
    expect(deriveProcessorState({ ...base, syncStatus: 'importing', importDone: 40, importTotal: 120 }).label).toBe('Importing 40 of 120');
  });

  it('shows the reason of an error', () => {
    expect(deriveProcessorState({ ...base, syncStatus: 'error', lastError: 'Wrong login or password' })).toEqual({
      kind: 'error',
      label: 'Error',
      reason: 'Wrong login or password',
    });
  });

  it('is connecting while runnable and not yet reported on', () => {
    expect(deriveProcessorState({ ...base, syncStatus: null }).kind).toBe('connecting');
  });

  it('is idle when up to date', () => {
    expect(deriveProcessorState(base).label).toBe('Idle (up to date)');
  });
});

describe('processor state beyond the worker\'s status', () => {
  const failed = { ...base, syncStatus: 'error' as const, lastError: '127.0.0.1:993 refuses connections. It worked until …', lastErrorCode: 'IMAP_CONNECTION_REFUSED' };

  it('shows a server that worked and now refuses as an outage being retried', () => {
    expect(deriveProcessorState({ ...failed, lastSuccessAt: new Date('2026-12-01T09:00:00Z') })).toMatchObject({
      kind: 'outage',
      label: 'Mail server unavailable, retrying',
    });
  });

  it('keeps a refusal of a server that never worked an error to fix', () => {
    expect(deriveProcessorState({ ...failed, lastSuccessAt: null }).kind).toBe('error');
    expect(deriveProcessorState({ ...failed, lastErrorCode: 'IMAP_AUTH_FAILED', lastSuccessAt: new Date() }).kind).toBe('error');
  });

  it('shows the measured delay of the last messages', () => {
    const [notice] = processorNotices({ ...base, deliveryDelaysMs: [41_000, 56_000, 48_000] });
    expect(notice).toEqual({ kind: 'delays', tone: 'info', text: 'The last 3 messages reached Leopard 48 s (median), at most 56 s, after arriving in the mailbox.' });
  });

  it('says the server does not push promptly, and how to fix it, until a check interval is set', () => {
    const slow = processorNotices({ ...base, unannouncedMailAt: new Date() });
    expect(slow).toEqual([expect.objectContaining({ kind: 'slow_push', tone: 'warn' })]);
    expect(slow[0]!.text).toContain('Set a check interval');
    expect(processorNotices({ ...base, unannouncedMailAt: new Date(), checkIntervalSeconds: 3 })).toEqual([
      { kind: 'checked', tone: 'info', text: 'The mailbox is checked for new mail every 3 s, besides push.' },
    ]);
  });

  it('shows a discrepancy between the server\'s answers', () => {
    const notices = processorNotices({ ...base, listingDiscrepancy: 'UID SEARCH listed 0 messages above UID 41, but the server holds 44 (EXISTS), the last with UID 44.' });
    expect(notices[0]).toMatchObject({ kind: 'discrepancy', tone: 'warn' });
  });
});

describe('OAuth2 processor states', () => {
  const base = { active: true, filterCount: 1, syncStatus: 'error' as const, lastError: 'x', importDone: 0, importTotal: 0, authMethod: 'oauth2' as const };
  it('an OAuth2 processor whose refresh was refused shows the reconnect state with the provider\'s words, whatever the worker last said', () => {
    expect(deriveProcessorState({ ...base, oauthState: 'reconnect_needed', oauthError: 'invalid_grant: grant request is invalid' })).toEqual({
      kind: 'reconnect_needed',
      label: 'Sign-in refused: reconnect needed',
      reason: 'invalid_grant: grant request is invalid',
    });
  });
  it('an OAuth2 processor never connected asks for Connect; a connected one shows the worker\'s state', () => {
    expect(deriveProcessorState({ ...base, oauthState: null }).kind).toBe('not_connected');
    expect(deriveProcessorState({ ...base, syncStatus: 'idle', oauthState: 'connected' }).kind).toBe('idle');
  });
});

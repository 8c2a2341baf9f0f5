import { describe, it, expect } from 'vitest';
import { MAX_THREAD_LOOKUP_IDS, resolveThread, threadLookupKeys, type ResolveThreadInput } from './resolve-thread';

const noEvidence: ResolveThreadInput = { tagCaseIds: [], referenceHits: [], inReplyTo: null, references: [] };

describe('resolveThread', () => {
  it('opens a new case when there is no tag and no reference', () => {
    expect(resolveThread(noEvidence)).toEqual({ kind: 'new' });
  });

  it('adds a message with [LC0001234] in the subject to that case', () => {
    const decision = resolveThread({ ...noEvidence, tagCaseIds: [{ caseNumber: 1234, caseId: 'case-a' }] });
    expect(decision).toEqual({ kind: 'tag', caseId: 'case-a', caseNumber: 1234 });
  });

  it('adds a message tagged with a merged case to the case it was merged into, and says so', () => {
    const decision = resolveThread({ ...noEvidence, tagCaseIds: [{ caseNumber: 12, caseId: 'case-30', mergedIntoNumber: 30 }] });
    expect(decision).toEqual({ kind: 'tag', caseId: 'case-30', caseNumber: 12, note: 'LC0000012 was merged into LC0000030.' });
  });

  it('uses the first tag that names an existing case', () => {
    const decision = resolveThread({
      ...noEvidence,
      tagCaseIds: [
        { caseNumber: 5, caseId: 'case-5' },
        { caseNumber: 9, caseId: 'case-9' },
      ],
    });
    expect(decision).toMatchObject({ kind: 'tag', caseId: 'case-5', caseNumber: 5 });
    expect(decision.note).toContain('LC0000009');
  });

  it('skips a tag of a case that does not exist and uses the next tag', () => {
    const decision = resolveThread({
      ...noEvidence,
      tagCaseIds: [
        { caseNumber: 99, caseId: null },
        { caseNumber: 7, caseId: 'case-7' },
      ],
    });
    expect(decision).toMatchObject({ kind: 'tag', caseId: 'case-7', caseNumber: 7 });
    expect(decision.note).toContain('LC0000099');
  });

  it('opens a new case for a tag of a case that does not exist, and says so', () => {
    const decision = resolveThread({ ...noEvidence, tagCaseIds: [{ caseNumber: 99, caseId: null }] });
    expect(decision.kind).toBe('new');
    expect(decision.note).toBe('The subject names LC0000099, which is not a case.');
  });

  it('names every missing case when several tags name no case', () => {
    const decision = resolveThread({
      ...noEvidence,
      tagCaseIds: [
        { caseNumber: 98, caseId: null },
        { caseNumber: 99, caseId: null },
      ],
    });
    expect(decision.note).toBe('The subject names LC0000098, LC0000099, which are not cases.');
  });

  it('joins the case of the message named by In-Reply-To', () => {
    const decision = resolveThread({
      ...noEvidence,
      inReplyTo: 'reply-to@x',
      references: ['root@x', 'reply-to@x'],
      referenceHits: [{ messageId: 'reply-to@x', caseId: 'case-a' }],
    });
    expect(decision).toEqual({ kind: 'reference', caseId: 'case-a', messageId: 'reply-to@x' });
  });

  it('prefers In-Reply-To over References when they point to different cases', () => {
    const decision = resolveThread({
      ...noEvidence,
      inReplyTo: 'parent@x',
      references: ['other@x'],
      referenceHits: [
        { messageId: 'other@x', caseId: 'case-b' },
        { messageId: 'parent@x', caseId: 'case-a' },
      ],
    });
    expect(decision).toMatchObject({ kind: 'reference', caseId: 'case-a', messageId: 'parent@x' });
  });

  it('walks References from the most recent to the oldest', () => {
    const decision = resolveThread({
      ...noEvidence,
      inReplyTo: 'unknown@x',
      references: ['root@x', 'middle@x', 'latest-unknown@x'],
      referenceHits: [
        { messageId: 'root@x', caseId: 'case-root' },
        { messageId: 'middle@x', caseId: 'case-middle' },
      ],
    });
    expect(decision).toMatchObject({ kind: 'reference', caseId: 'case-middle', messageId: 'middle@x' });
  });

  it('matches ids whatever brackets or whitespace they were written with', () => {
    const decision = resolveThread({
      ...noEvidence,
      inReplyTo: ' <parent@x> ',
      referenceHits: [{ messageId: '<parent@x>', caseId: 'case-a' }],
    });
    expect(decision).toMatchObject({ kind: 'reference', caseId: 'case-a', messageId: 'parent@x' });
  });

  it('uses the first hit when one stored id belongs to several cases', () => {
    const decision = resolveThread({
      ...noEvidence,
      inReplyTo: 'parent@x',
      referenceHits: [
        { messageId: 'parent@x', caseId: 'case-older' },
        { messageId: 'parent@x', caseId: 'case-newer' },
      ],
    });
    expect(decision).toMatchObject({ kind: 'reference', caseId: 'case-older' });
  });

  it('opens a new case when the referenced messages are not stored', () => {
    const decision = resolveThread({ ...noEvidence, inReplyTo: 'a@x', references: ['b@x'], referenceHits: [] });
    expect(decision).toEqual({ kind: 'new' });
  });

  it('lets the tag win when tag and references point to different cases, and says so', () => {
    const decision = resolveThread({
      tagCaseIds: [{ caseNumber: 42, caseId: 'case-42' }],
      inReplyTo: 'parent@x',
      references: [],
      referenceHits: [{ messageId: 'parent@x', caseId: 'case-other' }],
    });
    expect(decision).toMatchObject({ kind: 'tag', caseId: 'case-42', caseNumber: 42 });
    expect(decision.note).toContain('subject tag wins');
  });

  it('adds no note when tag and references agree', () => {
    const decision = resolveThread({
      tagCaseIds: [{ caseNumber: 42, caseId: 'case-42' }],
      inReplyTo: 'parent@x',
      references: [],
      referenceHits: [{ messageId: 'parent@x', caseId: 'case-42' }],
    });
    expect(decision).toEqual({ kind: 'tag', caseId: 'case-42', caseNumber: 42 });
  });

  it('joins a case by reference when the subject tag names no case, noting the tag', () => {
    const decision = resolveThread({
      tagCaseIds: [{ caseNumber: 99, caseId: null }],
      inReplyTo: 'parent@x',
      references: [],
      referenceHits: [{ messageId: 'parent@x', caseId: 'case-a' }],
    });
    expect(decision).toMatchObject({ kind: 'reference', caseId: 'case-a', messageId: 'parent@x' });
    expect(decision.note).toContain('LC0000099');
  });
});

describe('threadLookupKeys', () => {
  it('names the tagged case numbers and the ids to look up, In-Reply-To first then References newest first', () => {
    const keys = threadLookupKeys({
      subject: 'Re: [LC0000042] printer [lc0000007]',
      inReplyTo: 'parent@x',
      references: ['root@x', 'middle@x', 'parent@x'],
    });
    expect(keys).toEqual({ caseNumbers: [42, 7], messageIds: ['parent@x', 'middle@x', 'root@x'] });
  });

  it('asks for nothing when the message has no tag and no references', () => {
    expect(threadLookupKeys({ subject: 'Hello', inReplyTo: null, references: [] })).toEqual({ caseNumbers: [], messageIds: [] });
  });

  it('keeps only the most recent ids of a very long References header', () => {
    const references = Array.from({ length: 500 }, (_, i) => `id-${i}@x`);
    const keys = threadLookupKeys({ subject: '', inReplyTo: null, references });
    expect(keys.messageIds).toHaveLength(MAX_THREAD_LOOKUP_IDS);
    expect(keys.messageIds[0]).toBe('id-499@x');
    expect(keys.messageIds).not.toContain('id-0@x');
  });
});

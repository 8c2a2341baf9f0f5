import { describe, it, expect } from 'vitest';
import { matchContact, type ContactCandidate } from './match-contact';

let nextDay = 1;
function contact(id: string, firstName: string, lastName: string, email = 'jane@example.com', createdAt?: Date): ContactCandidate {
  return { id, firstName, lastName, email, createdAt: createdAt ?? new Date(Date.UTC(2024, 0, nextDay++)) };
}

describe('matchContact', () => {
  it('creates a contact named from the display name when no contact has the address', () => {
    expect(matchContact({ fromAddress: 'Jane.Doe@Example.com', fromName: 'Jane Doe', candidates: [] })).toEqual({
      kind: 'create',
      newContact: { firstName: 'Jane', lastName: 'Doe', email: 'Jane.Doe@Example.com' },
    });
  });

  it('creates a contact named from the local part when the mail gives no name', () => {
    expect(matchContact({ fromAddress: 'jane.doe@example.com', fromName: null, candidates: [] })).toEqual({
      kind: 'create',
      newContact: { firstName: 'Jane', lastName: 'Doe', email: 'jane.doe@example.com' },
    });
  });

  it('ignores candidates whose address differs, even if the service passed them', () => {
    const result = matchContact({
      fromAddress: 'jane@example.com',
      fromName: 'Jane Doe',
      candidates: [contact('other', 'Jane', 'Doe', 'jane@elsewhere.com')],
    });
    expect(result.kind).toBe('create');
  });

  it('chooses the only contact with the address, ignoring letter case', () => {
    const result = matchContact({
      fromAddress: 'JANE@Example.COM',
      fromName: 'Somebody Else',
      candidates: [contact('c1', 'Jane', 'Doe', 'jane@example.com')],
    });
    expect(result).toEqual({ kind: 'address', contactId: 'c1' });
  });

  it('narrows several contacts with the address to the one with the first and last name', () => {
    const result = matchContact({
      fromAddress: 'jane@example.com',
      fromName: 'Jane Doe',
      candidates: [contact('c1', 'John', 'Doe'), contact('c2', 'Jane', 'Doe'), contact('c3', 'Jane', 'Smith')],
    });
    expect(result).toEqual({ kind: 'name', contactId: 'c2' });
  });

  it('narrows by name written last-name-first, in other letter case and without accents', () => {
    const result = matchContact({
      fromAddress: 'zoe@example.com',
      fromName: 'ANGSTROM, zoe',
      candidates: [contact('c1', 'Zoë', 'Ångström', 'zoe@example.com'), contact('c2', 'Zoë', 'Berg', 'zoe@example.com')],
    });
    expect(result).toEqual({ kind: 'name', contactId: 'c1' });
  });

  it('narrows by an encoded display name', () => {
    const result = matchContact({
      fromAddress: 'jane@example.com',
      fromName: '=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?=',
      candidates: [contact('c1', 'Jane', 'Doe'), contact('c2', 'Jürgen', 'Müller')],
    });
    expect(result).toEqual({ kind: 'name', contactId: 'c2' });
  });

  it('matches a contact with a two-word first name on its first word', () => {
    const result = matchContact({
      fromAddress: 'jane@example.com',
      fromName: 'Mary Smith',
      candidates: [contact('c1', 'Mary Ann', 'Smith'), contact('c2', 'Mary', 'Jones')],
    });
    expect(result).toEqual({ kind: 'name', contactId: 'c1' });
  });

  it('needs the last name to match too, not only the first', () => {
    const result = matchContact({
      fromAddress: 'jane@example.com',
      fromName: 'Jane',
      candidates: [contact('old', 'Jane', 'Doe'), contact('new', 'Jane', 'Smith')],
    });
    expect(result).toMatchObject({ kind: 'ambiguous', contactId: 'old' });
  });

  it('chooses the oldest of several contacts with the same name and notes the ambiguity', () => {
    const result = matchContact({
      fromAddress: 'jane@example.com',
      fromName: 'Jane Doe',
      candidates: [
        contact('newer', 'Jane', 'Doe', 'jane@example.com', new Date('2024-05-01')),
        contact('oldest', 'jane', 'DOE', 'jane@example.com', new Date('2023-01-01')),
        contact('other', 'John', 'Doe', 'jane@example.com', new Date('2020-01-01')),
      ],
    });
    expect(result).toEqual({
      kind: 'ambiguous',
      contactId: 'oldest',
      note: '3 contacts share jane@example.com and 2 of them are named Jane Doe; chose the oldest.',
    });
  });

  it('chooses the oldest of all address matches when no contact has the name, and notes it', () => {
    const result = matchContact({
      fromAddress: 'jane@example.com',
      fromName: 'Pat Jones',
      candidates: [
        contact('newer', 'Jane', 'Doe', 'jane@example.com', new Date('2024-05-01')),
        contact('oldest', 'John', 'Doe', 'jane@example.com', new Date('2022-01-01')),
      ],
    });
    expect(result).toEqual({
      kind: 'ambiguous',
      contactId: 'oldest',
      note: '2 contacts share jane@example.com and none is named Pat Jones; chose the oldest.',
    });
  });

  it('chooses the oldest address match when the mail gives no display name', () => {
    const result = matchContact({
      fromAddress: 'jane@example.com',
      fromName: null,
      candidates: [contact('newer', 'Jane', 'Doe', 'jane@example.com', new Date('2024-05-01')), contact('older', 'Jane', 'Doe', 'jane@example.com', new Date('2021-01-01'))],
    });
    expect(result).toEqual({
      kind: 'ambiguous',
      contactId: 'older',
      note: '2 contacts share jane@example.com and the mail gives no name; chose the oldest.',
    });
  });

  it('treats a display name that is only the address as no name', () => {
    const result = matchContact({
      fromAddress: 'jane@example.com',
      fromName: 'jane@example.com',
      candidates: [contact('b', 'Jane', 'Doe'), contact('a', 'Jane', 'Doe')],
    });
    expect(result).toMatchObject({ kind: 'ambiguous', note: expect.stringContaining('gives no name') });
  });

  it('breaks a tie in creation time by the smaller id', () => {
    const sameTime = new Date('2024-01-01');
    const result = matchContact({
      fromAddress: 'jane@example.com',
      fromName: 'Jane Doe',
      candidates: [contact('c-b', 'Jane', 'Doe', 'jane@example.com', sameTime), contact('c-a', 'Jane', 'Doe', 'jane@example.com', sameTime)],
    });
    expect(result).toMatchObject({ kind: 'ambiguous', contactId: 'c-a' });
  });
});

describe('matchContact for a sender that failed DMARC', () => {
  const jane = { id: 'c-jane', firstName: 'Jane', lastName: 'Doe', email: 'jane@customer.test', createdAt: new Date('2024-01-01') };

  it('does not match the known contact with that address and makes a flagged one', () => {
    expect(matchContact({ fromAddress: 'jane@customer.test', fromName: 'Jane Doe', candidates: [jane], senderUnverified: true })).toEqual({
      kind: 'create',
      newContact: { firstName: 'Jane', lastName: 'Doe', email: 'jane@customer.test', unverifiedSender: true },
    });
  });

  it('reuses a contact that was itself made for unverified mail', () => {
    const flagged = { ...jane, id: 'c-flagged', createdAt: new Date('2025-01-01'), unverifiedSender: true };
    expect(matchContact({ fromAddress: 'jane@customer.test', fromName: 'Jane Doe', candidates: [jane, flagged], senderUnverified: true })).toEqual({
      kind: 'address',
      contactId: 'c-flagged',
    });
  });

  it('gives verified mail the real contact rather than a flagged one with the same address', () => {
    const flagged = { ...jane, id: 'c-flagged', createdAt: new Date('2020-01-01'), unverifiedSender: true };
    expect(matchContact({ fromAddress: 'jane@customer.test', fromName: 'Jane Doe', candidates: [flagged, jane] })).toEqual({ kind: 'address', contactId: 'c-jane' });
  });
});

import { describe, expect, it } from 'vitest';
import { isInitialImport } from './initial-import';

describe('isInitialImport', () => {
  it('counts mail flagged as import mail as the first sync, whatever the import UID', () => {
    expect(isInitialImport({ uid: 500, isImport: true }, 100)).toBe(true);
    expect(isInitialImport({ uid: 500, isImport: true }, null)).toBe(true);
  });

  it('counts unflagged mail at or below the import UID as the first sync, and mail above it as live', () => {
    expect(isInitialImport({ uid: 100, isImport: false }, 100)).toBe(true);
    expect(isInitialImport({ uid: 101, isImport: false }, 100)).toBe(false);
    expect(isInitialImport({ uid: 1, isImport: false }, null)).toBe(false);
  });

  it('never counts a resync as the first sync: mail not stored yet is live', () => {
    expect(isInitialImport({ uid: 5, isImport: true, resync: true }, 100)).toBe(false);
  });
});

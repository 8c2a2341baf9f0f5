// Whether a message was read during the first sync of its mailbox: old mail, already answered by hand, that
// gets no auto-reply. The worker marks the messages it fetches below the import UID (`isImport`) and those of
// a resync after a UIDVALIDITY change (`resync`); ingest decides here, once, also for a caller that did not
// mark a message below the processor's import UID.

export type FirstSyncMarks = { uid: number; isImport: boolean; resync?: boolean };

/**
 * A resync is never the first sync: mail not stored yet is live. Otherwise a message flagged as import mail, or
 * one at or below the UID the first import ran up to, is.
 */
export function isInitialImport(message: FirstSyncMarks, importUntilUid: number | null): boolean {
  if (message.resync) return false;
  return message.isImport || (importUntilUid !== null && message.uid <= importUntilUid);
}

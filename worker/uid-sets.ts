// UID sets for IMAP commands that name many messages. Consecutive UIDs are written as ranges ("1:2000"),
// and the set is split so that no command line grows past what servers accept: Dovecot refuses lines over
// imap_max_line_length (64 KB by default), and RFC 7162 section 4 asks clients to stay near 8,192 octets.

/** Room for the rest of the command ("A12 UID FETCH … (UID RFC822.SIZE)") within RFC 7162's 8,192 octets. */
export const MAX_UID_SET_CHARS = 4_000;

/** Sorted, deduplicated UIDs as IMAP sequence sets of at most `maxChars` characters each. */
export function uidSets(uids: number[], maxChars = MAX_UID_SET_CHARS): string[] {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const sets: string[] = [];
  let current = '';
  const add = (part: string) => {
    if (current !== '' && current.length + 1 + part.length > maxChars) {
      sets.push(current);
      current = '';
    }
    current = current === '' ? part : `${current},${part}`;
  };
  for (let i = 0; i < sorted.length; ) {
    let end = i;
    while (end + 1 < sorted.length && sorted[end + 1] === sorted[end] + 1) end++;
    add(end === i ? String(sorted[i]) : `${sorted[i]}:${sorted[end]}`);
    i = end + 1;
  }
  if (current !== '') sets.push(current);
  return sets;
}

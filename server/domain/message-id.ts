// Message-IDs as stored and compared: without angle brackets or whitespace, case kept
// (RFC 5322 does not make the left part case-insensitive, and exact ids are what other systems send back).

const BRACKETED_ID = /<([^<>]*)>/g;

/**
 * `" <abc@x> "` → `abc@x`; empty → null. When the value holds text around a bracketed id
 * (old mailers write `In-Reply-To: Your message of "Mon, 1 Jan" <abc@x>`), the first bracketed id is taken.
 */
export function normalizeMessageId(raw: string | undefined | null): string | null {
  if (raw == null) return null;
  const bracketed = [...raw.matchAll(BRACKETED_ID)].map((m) => m[1]).find((id) => id.trim() !== '');
  const id = (bracketed ?? raw).replace(/\s+/g, '').replace(/^<+/, '').replace(/>+$/, '');
  return id === '' ? null : id;
}

/**
 * The ids of a References or In-Reply-To value, normalized, each once, in header order.
 * Takes `<a@x> <b@y>`, comma or newline separated lists, bare ids, and the string arrays mailparser gives.
 * When a value holds bracketed ids, only those count, so comment text around them is not mistaken for ids.
 */
export function parseReferences(raw: string | string[] | undefined | null): string[] {
  if (raw == null) return [];
  const values = Array.isArray(raw) ? raw : [raw];
  const ids: string[] = [];
  for (const value of values) {
    const bracketed = [...value.matchAll(BRACKETED_ID)].map((m) => m[1]);
    const tokens = bracketed.length > 0 ? bracketed : value.split(/[\s,]+/);
    for (const token of tokens) {
      const id = normalizeMessageId(token);
      if (id !== null && !ids.includes(id)) ids.push(id);
    }
  }
  return ids;
}

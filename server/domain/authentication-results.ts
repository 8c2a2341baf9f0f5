// Authentication-Results (RFC 8601): what the receiving mail server found when it checked SPF, DKIM
// and DMARC. Any sender can write this header, so results are read only from instances stamped with
// the authserv-id of the processor's own server (named by the admin; off until then).
//
// Decisions:
// - For each method, the topmost instance with that id that reports the method wins. A server adds its
//   headers above everything already in the message, so a copy forged by the sender is always below the
//   real one (RFC 8601 §5 asks servers to remove such copies; not all do, so this does not rely on it).
//   Several headers with one id are normal: Postfix with OpenDKIM and OpenDMARC writes one per milter.
//   A sender can still write a result for a method the server does not check at all: name a server that
//   checks DMARC. Only a DMARC failure changes what Leopard does, and a forged failure harms only the forger.
// - Several DKIM signatures in that header: pass when any passed (DMARC needs one aligned pass; the
//   DMARC result itself says whether it was aligned).
// - Microsoft 365 writes its results with no authserv-id at all ("spf=pass …; dmarc=…; compauth=…"):
//   an admin names that form as "(none)", which no real id can be (parentheses are a comment in the syntax).
//   compauth (Microsoft's composite verdict) is kept for display; decisions use DMARC only.
// - Results are lower-cased words (pass, fail, softfail, bestguesspass…); anything else is ignored.

/** The authserv-id setting for servers that write none (Microsoft 365). */
export const NO_AUTHSERV_ID = '(none)';

export type SenderAuthentication = {
  /** The authserv-id the results were read from ("(none)" for Microsoft's form). */
  authservId: string;
  spf: string | null;
  dkim: string | null;
  dmarc: string | null;
  /** Microsoft's composite authentication verdict, when present. */
  compauth: string | null;
  /** The From domain DMARC checked (header.from), when the server says. */
  fromDomain: string | null;
};

/** One method's result in a header: `dkim=pass header.d=example.com` → method dkim, result pass. */
export type MethodResult = { method: string; result: string; properties: Record<string, string> };

export type ParsedAuthenticationResults = { authservId: string; results: MethodResult[] };

const RESULT_WORD = /^[a-z]+$/;
const PAIR = /([A-Za-z0-9_.\-/]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;"]+)/g;

/** Comments (nested parentheses) become spaces; quoted strings are kept as they are. */
function withoutComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (depth > 0) {
      if (c === '\\') i++;
      else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) out += ' ';
      continue;
    }
    if (quoted) {
      out += c;
      if (c === '\\') out += value[++i] ?? '';
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '(') depth = 1;
    else {
      if (c === '"') quoted = true;
      out += c;
    }
  }
  return out;
}

/** Splits at semicolons outside quoted strings. */
function segments(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && quoted) {
      current += c + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts.map((p) => p.trim());
}

const unquote = (v: string) => (v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v);

function resultOf(segment: string): MethodResult | null {
  const pairs = [...segment.matchAll(PAIR)];
  const [first, ...rest] = pairs;
  if (!first) return null;
  const method = first[1]!.toLowerCase().split('/')[0]!;
  const result = unquote(first[2]!).toLowerCase();
  if (!RESULT_WORD.test(method) || !RESULT_WORD.test(result)) return null;
  const properties: Record<string, string> = {};
  for (const p of rest) properties[p[1]!.toLowerCase()] ??= unquote(p[2]!);
  return { method, result, properties };
}

/** One header's value (unfolded). Null when it has no readable authserv-id or results. */
export function parseAuthenticationResults(value: string): ParsedAuthenticationResults | null {
  const parts = segments(withoutComments(value));
  const head = parts[0] ?? '';
  // Microsoft's form starts with a result where the id belongs.
  if (head.includes('=')) {
    const results = parts.map(resultOf).filter((r): r is MethodResult => r !== null);
    return results.length ? { authservId: NO_AUTHSERV_ID, results } : null;
  }
  const id = unquote(head.split(/\s+/)[0] ?? '');
  if (!id) return null;
  return { authservId: id, results: parts.slice(1).map(resultOf).filter((r): r is MethodResult => r !== null) };
}

const sameId = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * The processor's server's verdicts from a message's Authentication-Results headers, topmost first
 * (the order they are in the message). Null when no setting is given or no header carries that id.
 */
export function readSenderAuthentication(headers: readonly string[], authservId: string | null | undefined): SenderAuthentication | null {
  const wanted = authservId?.trim();
  if (!wanted) return null;
  const ours = headers.map(parseAuthenticationResults).filter((h): h is ParsedAuthenticationResults => h !== null && sameId(h.authservId, wanted));
  if (ours.length === 0) return null;
  const topmost = (method: string): MethodResult[] => ours.map((h) => h.results.filter((r) => r.method === method)).find((rs) => rs.length > 0) ?? [];
  const single = (method: string) => topmost(method)[0] ?? null;
  const dkim = topmost('dkim');
  const dmarc = single('dmarc');
  return {
    authservId: ours[0]!.authservId,
    spf: single('spf')?.result ?? null,
    dkim: dkim.length === 0 ? null : dkim.some((r) => r.result === 'pass') ? 'pass' : dkim[0]!.result,
    dmarc: dmarc?.result ?? null,
    compauth: single('compauth')?.result ?? null,
    fromDomain: dmarc?.properties['header.from'] ?? null,
  };
}

/** What a DMARC failure does, per processor (each can be turned off). */
export type DmarcFailurePolicy = { newContact: boolean; noAutoReply: boolean; flag: boolean };

/** What the intake does with one message, from its results and the processor's policy. */
export type SenderAuthenticityOutcome = {
  /** Do not match the sender to a contact by address alone: make (or reuse) a flagged contact. */
  distrustAddress: boolean;
  noAutoReply: boolean;
  /** Show the warning on the case list. */
  flag: boolean;
};

export function senderAuthenticityOutcome(auth: SenderAuthentication | null, policy: DmarcFailurePolicy): SenderAuthenticityOutcome {
  const failed = auth?.dmarc === 'fail';
  return { distrustAddress: failed && policy.newContact, noAutoReply: failed && policy.noAutoReply, flag: failed && policy.flag };
}

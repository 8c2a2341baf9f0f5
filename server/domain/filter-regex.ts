// Regular expressions in processor filters run on RE2 (Google's linear-time engine, here compiled to
// WebAssembly by the re2-wasm package, which installs without a native build). V8's own engine backtracks:
// `(a+)+$` over a 30 KB body takes longer than the universe, and a filter must never stall a mailbox.
// RE2 guarantees time linear in the input for a given pattern, and refuses the features that would break
// that guarantee (back-references, look-ahead, look-behind), so those are refused when a filter is saved.
//
// Linear is not free: a pattern with large counted repeats is a large automaton, and RE2 can then take
// seconds over a long body. That is bounded by the caller: intake and "Try a message" run these functions
// on a thread of their own under a total budget per message (server/services/filter-regex-pool.ts).
//
// re2-wasm's objects live in a fixed WebAssembly heap that JavaScript's garbage collector does not see, so
// every compiled pattern is freed as soon as it has been used.
import { RE2 } from 're2-wasm';

/** The time all of one message's regular-expression filters may take together, on the filter thread
 * (server/services/filter-regex-pool.ts). Enough for a hundred ordinary patterns over a 100 KB body (a few
 * ms each); short enough that a runaway filter costs its own mailbox a fraction of a second. */
export const MESSAGE_REGEX_BUDGET_MS = 500;

/** Long texts a pattern is tried on before it is saved: one letter repeated (where counted repeats cost
 * most) and ordinary words; a pattern that cannot finish them within the budget would time out on real mail. */
export const PATTERN_TRIAL_TEXTS = ['a'.repeat(100_000), 'Hello, the invoice 2024-117 total is wrong; regards. '.repeat(1_900)];

export const TOO_SLOW_MESSAGE =
  'This pattern takes too long over a long message, so it would never match one: use smaller counts like {n}, or fewer repeats.';

/** Always case-insensitive; `u` because RE2 works on code points (re2-wasm requires it). */
const FLAGS = 'iu';


/** Why a pattern cannot be used, in an admin's words; null when it can. */
export function checkFilterRegex(pattern: string): string | null {
  try {
    free(new RE2(pattern, FLAGS));
    return null;
  } catch (err) {
    return explain(pattern, String((err as Error).message));
  }
}

/** Whether any of the values matches; `invalid` for a pattern that does not compile (saved before this check). */
export function testFilterRegex(pattern: string, values: string[]): 'match' | 'no_match' | 'invalid' {
  let re: RE2;
  try {
    re = new RE2(pattern, FLAGS);
  } catch (err) {
    if (err instanceof SyntaxError) return 'invalid';
    throw err;
  }
  try {
    return values.some((value) => re.test(value)) ? 'match' : 'no_match';
  } finally {
    free(re);
  }
}

/** re2-wasm has no public way to free a pattern; its private `wrapper` is an Emscripten object with delete(). */
function free(re: RE2): void {
  (re as unknown as { wrapper?: { delete?: () => void } }).wrapper?.delete?.();
}

// RE2 says "Invalid regular expression: /(a)\1/iu: invalid escape sequence: \1"; the last part is its reason.
function explain(pattern: string, message: string): string {
  const reason = message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
  if (/invalid perl operator/.test(reason) && /\(\?<?[=!]/.test(pattern)) {
    return 'Look-ahead and look-behind ((?=…), (?!…), (?<=…), (?<!…)) are not supported: they can make matching take unbounded time. Match the text itself instead.';
  }
  if (/invalid escape sequence: \\([1-9]|k)/.test(reason)) {
    return 'References back to an earlier group (\\1, \\k<name>) are not supported: they can make matching take unbounded time.';
  }
  if (/invalid repetition size|pattern too large/.test(reason)) {
    return 'This pattern repeats too much: keep counts like {n} at 1000 or less, and avoid repeats inside repeats.';
  }
  return reason === '' ? 'This is not a valid regular expression.' : `This is not a valid regular expression: ${reason}.`;
}

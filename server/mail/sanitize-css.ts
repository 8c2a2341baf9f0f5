// CSS from email HTML (style attributes and <style> elements), cleaned of everything that can fetch
// or run something. The frame's Content-Security-Policy blocks those loads too; this is the first
// wall, so that a blocked load does not even show up as a CSP error.
//
// Decisions:
// - A backslash anywhere drops the whole value: CSS escapes (`u\72l(`) are the classic way past
//   pattern checks, and legitimate email CSS does not need them.
// - Anything that can name a resource goes: url(), image-set(), image(), cross-fade(), element(),
//   src(), @import and @font-face; so do IE's expression(), behavior and -moz-binding, and
//   javascript:/vbscript: anywhere.
// - `<` is removed from stylesheets, so their text can never close the <style> element early.

// A declaration (up to the next ; { or }) that calls any of them.
const FETCHING_DECLARATION = /[^{};]*(?:url|image-set|image|cross-fade|element|src|expression)\s*\([^{};]*/gi;
const FORBIDDEN = /url\s*\(|image-set\s*\(|image\s*\(|cross-fade\s*\(|element\s*\(|src\s*\(|expression\s*\(|@import|@font-face|behavior\s*:|-moz-binding|javascript\s*:|vbscript\s*:/i;
const COMMENT = /\/\*[\s\S]*?(?:\*\/|$)/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g;

function normalize(css: string): string | null {
  const withoutComments = css.replace(CONTROL, '').replace(COMMENT, ' ');
  return withoutComments.includes('\\') ? null : withoutComments;
}

/** A style attribute: declarations that could fetch or run something are dropped, the rest kept. */
export function sanitizeStyleAttribute(style: string): string {
  const css = normalize(style);
  if (css === null) return '';
  return css
    .split(';')
    .map((declaration) => declaration.trim())
    .filter((declaration) => declaration && !FORBIDDEN.test(declaration))
    .join('; ');
}

/** The text of a <style> element. Declarations that could fetch or run something are dropped; when anything risky remains, nothing is kept. */
export function sanitizeStylesheet(stylesheet: string): string {
  const css = normalize(stylesheet);
  if (css === null) return '';
  const cleaned = css
    .replace(/@import[^;]*;?/gi, '')
    .replace(/@font-face\s*\{[^}]*\}/gi, '')
    .replace(FETCHING_DECLARATION, '')
    .replace(/</g, '');
  return FORBIDDEN.test(cleaned) ? '' : cleaned;
}

// Email HTML → HTML that is safe to show an agent. Runs on the server, before any browser sees a
// message; the browser then shows the result in a sandboxed frame without scripts under a strict
// Content-Security-Policy (server/mail/message-document.ts), so a miss here is still contained.
//
// Decisions:
// - An allow-list of formatting tags; everything active or foreign goes: script, iframe, object, embed,
//   form and its controls, svg/math, base, meta, link. A dropped tag keeps its text, except
//   script/style/textarea/title-like tags, whose text is dropped with them.
// - Attributes are allow-listed too, so event handlers (onerror, onclick, …), srcset, background,
//   formaction and friends never pass. CSS is cleaned by server/mail/sanitize-css.ts.
// - Links keep only http(s), mailto, tel and in-page anchors, and open in a new tab without a referrer.
// - Images: `cid:` references become the attachment's URL (the caller resolves them); data: images
//   stay; remote images (http, https, protocol-relative) become a visible placeholder unless the
//   agent allowed them for this message, because loading one tells the sender the mail was read.
//   Any other image source (relative paths that would hit our own server) is dropped.
import sanitizeHtml from 'sanitize-html';
import { BLOCKED_IMAGE_CLASS } from './message-document';
import { sanitizeStyleAttribute, sanitizeStylesheet } from './sanitize-css';

export type SanitizeEmailHtmlOptions = {
  html: string;
  /** The URL that serves the inline image with this Content-ID (no angle brackets), or null when the message has none. */
  resolveContentId: (contentId: string) => string | null;
  allowRemoteImages: boolean;
};

export type SanitizedEmailHtml = {
  html: string;
  /** Remote images in the message, blocked or not: the page offers "Show remote images" when there are any. */
  remoteImages: number;
};

const ALLOWED_TAGS = [
  'a', 'abbr', 'address', 'article', 'b', 'bdi', 'bdo', 'big', 'blockquote', 'br', 'caption', 'center', 'cite',
  'code', 'col', 'colgroup', 'dd', 'del', 'details', 'dfn', 'div', 'dl', 'dt', 'em', 'figcaption', 'figure', 'font',
  'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'i', 'img', 'ins', 'kbd', 'li', 'main', 'mark', 'nav',
  'ol', 'p', 'pre', 'q', 's', 'samp', 'section', 'small', 'span', 'strike', 'strong', 'style', 'sub', 'summary', 'sup',
  'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'time', 'tr', 'tt', 'u', 'ul', 'var', 'wbr',
];

const GLOBAL_ATTRIBUTES = ['style', 'class', 'dir', 'lang', 'title', 'align', 'valign', 'width', 'height', 'bgcolor'];

const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  '*': GLOBAL_ATTRIBUTES,
  a: ['href', 'name', 'target', 'rel'],
  img: ['src', 'alt', 'border', 'hspace', 'vspace'],
  font: ['face', 'size', 'color'],
  table: ['border', 'cellpadding', 'cellspacing', 'summary'],
  td: ['colspan', 'rowspan', 'nowrap'],
  th: ['colspan', 'rowspan', 'nowrap', 'scope'],
  col: ['span'],
  colgroup: ['span'],
  ol: ['start', 'type', 'reversed'],
  ul: ['type'],
  li: ['value'],
  time: ['datetime'],
  bdo: ['dir'],
  details: ['open'],
};

// Tags whose text means nothing (or something dangerous) once the tag is gone.
const NON_TEXT_TAGS = ['script', 'style', 'textarea', 'option', 'title', 'noscript', 'template', 'xmp', 'noembed', 'noframes', 'plaintext'];

// eslint-disable-next-line no-control-regex
const URL_NOISE = /[\u0000-\u0020\u007f]+/g;
const SAFE_LINK = /^(?:https?:|mailto:|tel:|#)/i;
const REMOTE = /^(?:https?:)?\/\//i;
const DATA_IMAGE = /^data:image\//i;
const CID = /^cid:/i;

type Attributes = Record<string, string>;

function contentIdOf(src: string): string {
  const raw = src.replace(CID, '');
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // Not percent-encoded after all: use it as written.
  }
  return decoded.replace(/^<|>$/g, '');
}

function placeholder(attribs: Attributes, label: string): sanitizeHtml.Tag {
  const alt = attribs.alt?.trim();
  return {
    tagName: 'span',
    attribs: { class: BLOCKED_IMAGE_CLASS, title: label },
    text: alt ? `[${label}: ${alt}]` : `[${label}]`,
  };
}

export function sanitizeEmailHtml({ html, resolveContentId, allowRemoteImages }: SanitizeEmailHtmlOptions): SanitizedEmailHtml {
  let remoteImages = 0;

  const transformImage = (tagName: string, attribs: Attributes): sanitizeHtml.Tag => {
    const src = (attribs.src ?? '').replace(URL_NOISE, '');
    if (CID.test(src)) {
      const url = resolveContentId(contentIdOf(src));
      return url ? { tagName, attribs: { ...attribs, src: url } } : placeholder(attribs, 'missing image');
    }
    if (REMOTE.test(src)) {
      remoteImages += 1;
      if (!allowRemoteImages) return placeholder(attribs, 'remote image blocked');
      return { tagName, attribs: { ...attribs, src: src.startsWith('//') ? `https:${src}` : src } };
    }
    if (DATA_IMAGE.test(src)) return { tagName, attribs: { ...attribs, src } };
    return placeholder(attribs, 'image');
  };

  const transformLink = (tagName: string, attribs: Attributes): sanitizeHtml.Tag => {
    const { href: rawHref, ...rest } = attribs;
    const href = (rawHref ?? '').replace(URL_NOISE, '');
    if (!SAFE_LINK.test(href)) return { tagName, attribs: rest };
    if (href.startsWith('#')) return { tagName, attribs: { ...rest, href } };
    return { tagName, attribs: { ...rest, href, target: '_blank', rel: 'noopener noreferrer' } };
  };

  const output = sanitizeHtml(html, {
    allowedTags: ALLOWED_TAGS,
    allowVulnerableTags: true, // <style> is allowed on purpose: its text is cleaned below.
    nonTextTags: NON_TEXT_TAGS,
    disallowedTagsMode: 'discard',
    allowedAttributes: ALLOWED_ATTRIBUTES,
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    allowedSchemesByTag: { img: ['http', 'https', 'data'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
    allowProtocolRelative: false,
    transformTags: {
      img: transformImage,
      a: transformLink,
      '*': (tagName, attribs) => {
        if (attribs.style === undefined) return { tagName, attribs };
        const style = sanitizeStyleAttribute(attribs.style);
        const { style: _dropped, ...rest } = attribs;
        return { tagName, attribs: style ? { ...rest, style } : rest };
      },
    },
  });

  // sanitize-html copies <style> text through untouched; clean it here. The pattern is exact because
  // the output was just written by sanitize-html: <style> never has attributes, and its text cannot
  // contain `</style>` (the parser would have ended the element there).
  const withCleanStyles = output.replace(/<style>([\s\S]*?)<\/style>/g, (_, css: string) => {
    const cleaned = sanitizeStylesheet(css);
    return cleaned.trim() ? `<style>${cleaned}</style>` : '';
  });

  return { html: withCleanStyles, remoteImages };
}

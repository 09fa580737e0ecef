// Message text: the API takes Markdown (or a JSON-encoded HTML string) and stores
// Matrix HTML; search and length limits work on the plain text.
import { createRequire } from 'node:module';
import type MarkdownIt from 'markdown-it';
import type sanitizeHtml from 'sanitize-html';

// Both libraries are loaded on first use, not at start: together they are a sixth
// of a second of every cold start, and a server that only reads never needs them.
const load = createRequire(import.meta.url);
let markdown: MarkdownIt | undefined;
let sanitizer: typeof sanitizeHtml | undefined;
// Raw HTML inside Markdown is escaped, not passed through: only the explicit
// JSON-string form carries HTML, and that is sanitized.
const md = () => (markdown ??= new (load('markdown-it') as typeof MarkdownIt)({ html: false, linkify: true, breaks: true }));

// The tags and attributes Matrix clients render (the spec's allowed subset).
const MATRIX_HTML: sanitizeHtml.IOptions = {
  allowedTags: [
    'font', 'del', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'p', 'a', 'ul', 'ol', 'sup', 'sub', 'li', 'b', 'i', 'u',
    'strong', 'em', 'strike', 's', 'code', 'hr', 'br', 'div', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'caption', 'pre',
    'span', 'img', 'details', 'summary', 'mx-reply',
  ],
  allowedAttributes: {
    font: ['data-mx-bg-color', 'data-mx-color', 'color'],
    span: ['data-mx-bg-color', 'data-mx-color', 'data-mx-spoiler', 'data-mx-maths'],
    a: ['name', 'target', 'href'],
    img: ['width', 'height', 'alt', 'title', 'src'],
    ol: ['start'],
    code: ['class'],
    div: ['data-mx-maths'],
  },
  allowedSchemes: ['https', 'http', 'ftp', 'mailto', 'magnet'],
  allowedSchemesByTag: { img: ['mxc'] },
  allowProtocolRelative: false,
};

export interface FormattedText {
  /** What Message.text carries: HTML when formatted, else the plain text. */
  text: string;
  /** Whether `text` is HTML. */
  html: boolean;
  /** Plain text for search, length limits and networks without formatting. */
  plain: string;
}

/** A JSON-encoded string ("\"<b>hi</b>\"") means: this is HTML, keep it. */
function verbatimHtml(input: string): string | undefined {
  const t = input.trim();
  if (t.length < 2 || !t.startsWith('"') || !t.endsWith('"')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

export const sanitizeMatrixHtml = (html: string) => (sanitizer ??= load('sanitize-html') as typeof sanitizeHtml)(html, MATRIX_HTML);

export function formatInput(input: string): FormattedText {
  const raw = verbatimHtml(input);
  if (raw !== undefined) {
    const html = sanitizeMatrixHtml(raw);
    return { text: html, html: true, plain: htmlToPlain(html) };
  }
  let html = md().render(input).trim();
  // A single paragraph needs no <p> wrapper in a chat message.
  const single = /^<p>([\s\S]*)<\/p>$/.exec(html);
  if (single && !single[1]!.includes('<p>')) html = single[1]!;
  // Text that Markdown leaves untouched (nothing formatted, nothing escaped) stays plain.
  if (html === input.trim()) return { text: input, html: false, plain: input };
  return { text: html, html: true, plain: htmlToPlain(html) };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", nbsp: ' ' };

export function htmlToPlain(html: string): string {
  return html
    .replace(/<mx-reply>[\s\S]*?<\/mx-reply>/gi, '')
    .replace(/<br\s*\/?>\n?/gi, '\n')
    .replace(/<\/(p|div|li|h[1-6]|blockquote|pre|tr)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(#\d+|#x[0-9a-f]+|\w+);/gi, (m, e: string) => {
      if (e.startsWith('#x') || e.startsWith('#X')) return String.fromCodePoint(parseInt(e.slice(2), 16));
      if (e.startsWith('#') && e !== '#39') return String.fromCodePoint(parseInt(e.slice(1), 10));
      return ENTITIES[e] ?? m;
    })
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Length as people count it: code points, not UTF-16 units. */
export const textLength = (s: string) => [...s].length;

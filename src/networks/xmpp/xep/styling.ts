// Message Styling (XEP-0393): XMPP bodies are plain text whose *strong*,
// _emphasis_, ~strike~, `code`, ```pre``` blocks and > quotes clients render.
// Outgoing Matrix HTML becomes such text; incoming styled text becomes Matrix HTML.

// ---- Matrix HTML → styled plain text ---------------------------------------------

type Node = string | { tag: string; attrs: Record<string, string>; children: Node[] };

const VOID = new Set(['br', 'hr', 'img']);
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(s: string): string {
  return s.replace(/&(#\d+|#x[0-9a-f]+|\w+);/gi, (m, e: string) => {
    if (/^#x/i.test(e)) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

function parseHtml(html: string): Node[] {
  const root: { tag: string; attrs: Record<string, string>; children: Node[] } = { tag: '#root', attrs: {}, children: [] };
  const stack = [root];
  const re = /<(\/?)([a-z][a-z0-9-]*)((?:\s+[^>]*?)?)\s*(\/?)>|([^<]+|<)/gi;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    const top = stack[stack.length - 1]!;
    if (m[5] !== undefined) {
      top.children.push(decodeEntities(m[5]));
      continue;
    }
    const tag = m[2]!.toLowerCase();
    if (m[1]) {
      const at = stack.map((n) => n.tag).lastIndexOf(tag);
      if (at > 0) stack.length = at;
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of (m[3] ?? '').matchAll(/([a-z-]+)\s*=\s*("([^"]*)"|'([^']*)'|(\S+))/gi)) attrs[a[1]!.toLowerCase()] = decodeEntities(a[3] ?? a[4] ?? a[5] ?? '');
    const node = { tag, attrs, children: [] as Node[] };
    top.children.push(node);
    if (!VOID.has(tag) && !m[4]) stack.push(node);
  }
  return root.children;
}

const BLOCK = new Set(['p', 'div', 'blockquote', 'pre', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'table', 'details']);

function inline(nodes: Node[], inCode = false): string {
  let out = '';
  for (const n of nodes) {
    if (typeof n === 'string') {
      out += n;
      continue;
    }
    const inner = () => inline(n.children, inCode || n.tag === 'code');
    switch (n.tag) {
      case 'mx-reply':
        break;
      case 'br':
        out += '\n';
        break;
      case 'strong':
      case 'b':
        out += wrap('*', inner());
        break;
      case 'em':
      case 'i':
        out += wrap('_', inner());
        break;
      case 'del':
      case 's':
      case 'strike':
        out += wrap('~', inner());
        break;
      case 'code':
        out += inCode ? inner() : wrap('`', inner());
        break;
      case 'a': {
        const text = inner();
        const href = n.attrs.href ?? '';
        out += !href || href === text || href === `mailto:${text}` || /^https:\/\/matrix\.to\//.test(href) ? text : `${text} (${href})`;
        break;
      }
      case 'img':
        out += n.attrs.alt ?? '';
        break;
      default:
        out += BLOCK.has(n.tag) ? block([n]) : inner();
    }
  }
  return out;
}

/** Styling spans need text right inside the directives; move surrounding spaces out. */
function wrap(d: string, text: string): string {
  const m = /^(\s*)([\s\S]*?)(\s*)$/.exec(text)!;
  return m[2] ? `${m[1]}${d}${m[2]}${d}${m[3]}` : text;
}

function block(nodes: Node[]): string {
  const parts: string[] = [];
  let run: Node[] = [];
  const flush = () => {
    const t = inline(run).replace(/^\n+|\n+$/g, '');
    if (t.trim()) parts.push(t);
    run = [];
  };
  for (const n of nodes) {
    if (typeof n === 'string' || !BLOCK.has(n.tag)) {
      run.push(n);
      continue;
    }
    flush();
    switch (n.tag) {
      case 'pre': {
        const code = inline(n.children, true).replace(/\n+$/, '');
        parts.push(`\`\`\`\n${code}\n\`\`\``);
        break;
      }
      case 'blockquote':
        parts.push(block(n.children).split('\n').map((l) => (l ? `> ${l}` : '>')).join('\n'));
        break;
      case 'ul':
      case 'ol': {
        let i = Number(n.attrs.start ?? 1) || 1;
        const items = n.children.filter((c): c is Exclude<Node, string> => typeof c !== 'string' && c.tag === 'li');
        parts.push(items.map((li) => `${n.tag === 'ol' ? `${i++}.` : '•'} ${block(li.children).replace(/\n/g, '\n  ')}`).join('\n'));
        break;
      }
      case 'hr':
        parts.push('―――');
        break;
      case 'h1':
      case 'h2':
      case 'h3':
      case 'h4':
      case 'h5':
      case 'h6':
        parts.push(wrap('*', inline(n.children)));
        break;
      default:
        parts.push(block(n.children));
    }
  }
  flush();
  return parts.filter(Boolean).join('\n\n');
}

/** Matrix HTML as an XEP-0393 styled body. */
export function htmlToStyling(html: string): string {
  return block(parseHtml(html)).trim();
}

// ---- styled plain text → Matrix HTML -------------------------------------------------

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const SPANS: Record<string, [string, string]> = { '*': ['<strong>', '</strong>'], _: ['<em>', '</em>'], '~': ['<del>', '</del>'], '`': ['<code>', '</code>'] };

/** Spans of one line (XEP-0393 §6.2): directives open before non-space and close after non-space, within the line. */
function spans(line: string): { html: string; styled: boolean } {
  let html = '';
  let styled = false;
  let i = 0;
  while (i < line.length) {
    const d = line[i]!;
    const canOpen = d in SPANS && (i === 0 || /[\s*_~`]/.test(line[i - 1]!)) && i + 1 < line.length && !/\s/.test(line[i + 1]!);
    if (canOpen) {
      let j = line.indexOf(d, i + 2);
      while (j !== -1 && /\s/.test(line[j - 1]!)) j = line.indexOf(d, j + 1);
      if (j !== -1) {
        const content = line.slice(i + 1, j);
        const [open, close] = SPANS[d]!;
        html += open + (d === '`' ? escapeHtml(content) : spans(content).html) + close;
        styled = true;
        i = j + 1;
        continue;
      }
    }
    html += escapeHtml(d);
    i++;
  }
  return { html, styled };
}

/** An XEP-0393 styled body as Matrix HTML; undefined when it uses no styling. */
export function stylingToHtml(body: string): string | undefined {
  const lines = body.split('\n');
  const out: string[] = [];
  let styled = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('```')) {
      const end = lines.findIndex((l, k) => k > i && l === '```');
      const stop = end === -1 ? lines.length : end;
      out.push(`<pre><code>${escapeHtml(lines.slice(i + 1, stop).join('\n'))}</code></pre>`);
      styled = true;
      i = stop;
      continue;
    }
    if (line.startsWith('>')) {
      const quoted: string[] = [];
      while (i < lines.length && lines[i]!.startsWith('>')) quoted.push(lines[i++]!.replace(/^> ?/, ''));
      i--;
      out.push(`<blockquote>${stylingToHtml(quoted.join('\n')) ?? escapeHtml(quoted.join('\n')).replace(/\n/g, '<br>')}</blockquote>`);
      styled = true;
      continue;
    }
    const s = spans(line);
    styled ||= s.styled;
    out.push(s.html + (i < lines.length - 1 && !lines[i + 1]!.startsWith('>') && !lines[i + 1]!.startsWith('```') ? '<br>' : ''));
  }
  return styled ? out.join('') : undefined;
}

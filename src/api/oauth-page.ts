// The few HTML pages of the OAuth flow: consent, sign-in (for non-local
// browsers) and errors. Server-rendered, no scripts, no external assets; large
// dark-on-white text so they read well (and OCR well in the browser test).
import type { Scope } from '../core/services/tokens.ts';

export const SCOPE_WORDS: Record<Scope, string> = {
  read: 'Read your chats, messages and contacts',
  write: 'Send messages and change chats on your behalf',
};

/** Escapes text for HTML content and double-quoted attribute values. */
export function escapeHTML(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
  * { box-sizing: border-box; }
  body { margin: 0; background: #ffffff; color: #000000; font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; font-size: 26px; line-height: 1.45; }
  main { max-width: 900px; margin: 0 auto; padding: 40px 48px; }
  .brand { font-size: 22px; font-weight: bold; letter-spacing: 0.04em; margin: 0 0 24px; }
  h1 { font-size: 52px; line-height: 1.15; margin: 0 0 12px; word-break: break-word; }
  h2 { font-size: 28px; margin: 32px 0 12px; }
  ul { margin: 0; padding-left: 1.2em; }
  li { font-size: 32px; margin: 0 0 14px; }
  .host { font-weight: bold; word-break: break-all; }
  .buttons { display: flex; gap: 24px; margin-top: 40px; }
  button { font: inherit; font-size: 30px; font-weight: bold; padding: 14px 40px; border-radius: 10px; border: 3px solid #000000; cursor: pointer; }
  .approve { background: #000000; color: #ffffff; }
  .deny { background: #ffffff; color: #000000; }
  .note { font-size: 20px; margin-top: 36px; }
  label { display: block; font-weight: bold; margin: 24px 0 8px; }
  input[type=password] { font: inherit; width: 100%; padding: 10px 14px; border: 3px solid #000000; border-radius: 8px; }
  .error { border: 3px solid #b00020; padding: 12px 18px; border-radius: 8px; }
  code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.9em; }
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHTML(title)}</title>
<style>${STYLE}</style>
</head>
<body><main>
<p class="brand">Switchboard</p>
${body}
</main></body>
</html>
`;
}

const hidden = (fields: Record<string, string | undefined>) =>
  Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `<input type="hidden" name="${escapeHTML(k)}" value="${escapeHTML(v)}">`)
    .join('\n');

export interface ConsentView {
  clientName: string;
  /** Where the user is sent afterwards: the redirect URI's host (or scheme for app URIs). */
  redirectHost: string;
  scopes: Scope[];
  /** The authorization request, carried to the POST. */
  fields: Record<string, string | undefined>;
  csrf: string;
}

export function consentPage(v: ConsentView): string {
  const name = escapeHTML(v.clientName);
  return page(
    `Allow ${v.clientName}? — Switchboard`,
    `<h1>${name}</h1>
<p>wants to use your Switchboard. Afterwards you will be sent back to <span class="host">${escapeHTML(v.redirectHost)}</span>.</p>
<h2>If you approve, it can:</h2>
<ul>
${v.scopes.map((s) => `<li>${escapeHTML(SCOPE_WORDS[s])}</li>`).join('\n')}
</ul>
<form method="post" action="/oauth/authorize">
${hidden({ ...v.fields, csrf_token: v.csrf })}
<div class="buttons">
<button class="approve" type="submit" name="decision" value="approve">Approve</button>
<button class="deny" type="submit" name="decision" value="deny">Deny</button>
</div>
</form>
<p class="note">Access lasts 7 days. You can revoke it at any time with <code>switchboard token revoke</code>.</p>`,
  );
}

export function signInPage(v: { clientName: string; authorizeQuery: string; error?: string }): string {
  return page(
    'Sign in — Switchboard',
    `<h1>Sign in to continue</h1>
<p><strong>${escapeHTML(v.clientName)}</strong> asks for access to this Switchboard. This browser is not on the machine the server runs on, so first prove it is you: paste an access token that has the <code>write</code> scope (<code>switchboard token create</code> makes one).</p>
${v.error ? `<p class="error">${escapeHTML(v.error)}</p>` : ''}
<form method="post" action="/oauth/session">
${hidden({ authorize_query: v.authorizeQuery })}
<label for="token">Access token</label>
<input id="token" type="password" name="token" autocomplete="off" required>
<div class="buttons"><button class="approve" type="submit">Continue</button></div>
</form>`,
  );
}

export function errorPage(title: string, message: string): string {
  return page(`${title} — Switchboard`, `<h1>${escapeHTML(title)}</h1>\n<p>${escapeHTML(message)}</p>`);
}

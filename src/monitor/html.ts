/**
 * The building blocks of the status pages: escaped text, tables and a page
 * that refreshes itself with `<meta http-equiv="refresh">` (no script at all,
 * so it works in a text browser, with JavaScript off, and under the
 * listener's Content-Security-Policy). Pure.
 */

/** Escapes text for HTML element content and attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A cell: text (escaped) with an optional class for colour (ok, bad, warn, dim). */
export type Cell = string | { readonly text: string; readonly cls?: "ok" | "bad" | "warn" | "dim" };

function cell(c: Cell): string {
  if (typeof c === "string") return `<td>${esc(c)}</td>`;
  return c.cls === undefined ? `<td>${esc(c.text)}</td>` : `<td class="${c.cls}">${esc(c.text)}</td>`;
}

/** A table with a caption-like heading id (for links and tests) and `empty` shown when there are no rows. */
export function table(
  id: string,
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  empty: string,
): string {
  if (rows.length === 0) return `<p id="${esc(id)}" class="dim">${esc(empty)}</p>`;
  const head = headers.map((h) => `<th scope="col">${esc(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map(cell).join("")}</tr>`).join("\n");
  return `<table id="${esc(id)}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export interface Section {
  readonly title: string;
  /** Trusted HTML (built with table() / esc()). */
  readonly html: string;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.4em 0 .4em}
table{border-collapse:collapse;min-width:40em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f2f2f2}.ok{background:#dff3df}.bad{background:#f8d4d4;font-weight:bold}.warn{background:#fbefc9}
.dim{color:#777}.meta{color:#555;margin:0}`;

/** A whole document; `refreshS` seconds between reloads (0: none). */
export function htmlPage(
  title: string,
  meta: readonly string[],
  sections: readonly Section[],
  refreshS: number,
): string {
  const refresh = refreshS > 0 ? `\n<meta http-equiv="refresh" content="${Math.round(refreshS)}">` : "";
  const body = sections.map((s) => `<h2>${esc(s.title)}</h2>\n${s.html}`).join("\n");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">${refresh}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style></head>
<body>
<h1>${esc(title)}</h1>
${meta.map((m) => `<p class="meta">${esc(m)}</p>`).join("\n")}
${body}
</body></html>
`;
}

/** "3.2 s", "250 ms", "4 min", for ages and durations. */
export function humanMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

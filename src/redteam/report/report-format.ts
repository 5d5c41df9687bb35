// Text helpers for the HTML report: escaping and the units figures are printed in. Escaping is
// written here rather than taken from a library: five characters, and the report needs nothing else
// of a template engine.

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element content and in quoted attribute values. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** 0.5 -> "50%", 2/3 -> "66.7%". */
export function percent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

/** Exact byte counts: a single byte to a disallowed host matters. */
export function byteCount(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} ${bytes === 1 ? 'byte' : 'bytes'}`;
}

export function utcTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** The first `maxLines` lines (and at most `maxChars`), saying how much was left out. */
export function excerpt(text: string, maxLines = 12, maxChars = 1500): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  let shown = lines.slice(0, maxLines).join('\n');
  if (shown.length > maxChars) shown = `${shown.slice(0, maxChars)}…`;
  const more = lines.length - maxLines;
  return more > 0 ? `${shown}\n… ${more} more ${more === 1 ? 'line' : 'lines'}` : shown;
}

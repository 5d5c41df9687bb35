// Turns captured bytes into text for the model, saying plainly what was cut: a model that does not
// know its view was truncated draws wrong conclusions from it.

export const OUTPUT_CAP_BYTES = 64 * 1024;

export function formatBytes(bytes: number): string {
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} bytes`;
}

/** Buffer as UTF-8, cut at `cap` bytes with a notice; a cut multi-byte character decodes as U+FFFD. */
export function outputText(data: Buffer, truncated: boolean, label: string, cap = OUTPUT_CAP_BYTES): string {
  const cut = data.length > cap;
  let text = (cut ? data.subarray(0, cap) : data).toString('utf8');
  if (cut || truncated) {
    if (!text.endsWith('\n')) text += '\n';
    text += `[${label} truncated: only the first ${formatBytes(Math.min(cap, data.length))} are shown]\n`;
  }
  return text;
}

/** Keeps the first `maxLines` lines, each at most `maxLineChars`, and says how many were left out. */
export function capLines(text: string, maxLines: number, maxLineChars: number, noun: string): string {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const kept = lines.slice(0, maxLines).map((l) => (l.length > maxLineChars ? `${l.slice(0, maxLineChars)} [line cut]` : l));
  const left = lines.length - kept.length;
  if (left > 0) kept.push(`[${left} more ${noun} not shown]`);
  return kept.join('\n');
}

/** True when the bytes look binary (a NUL byte early on), as grep and git decide. */
export function looksBinary(data: Buffer): boolean {
  return data.subarray(0, 8192).includes(0);
}

// Small display helpers shared by the pages.
export const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);
export const stamp = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

export function age(since: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - since) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export const pct = (x: number): string => `${Math.round(x * 100)}%`;

export function command(argv: readonly string[] | null | undefined): string {
  if (!argv || argv.length === 0) return '';
  if (argv.length === 3 && argv[0] === 'bash' && argv[1] === '-c') return argv[2] ?? '';
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** A tool call as one line: the bash command itself, else name(args). */
export function toolCall(action: { name: string; arguments: Record<string, unknown> } | undefined, message?: string): string {
  if (!action) return message ?? '';
  const cmd = action.arguments.command;
  if (typeof cmd === 'string') return cmd;
  return `${action.name}(${JSON.stringify(action.arguments)})`;
}

/** What an evidence record says beyond where and when (the row shows those already). */
const PLACE = new Set(['kind', 'time', 'sandboxId', 'step', 'pid', 'ppid', 'uid']);

export function evidenceLine(e: Record<string, unknown>): string {
  return Object.entries(e)
    .filter(([k, v]) => !PLACE.has(k) && v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export function Severity({ level }: { level: string }) {
  return <span class={`sev sev-${level}`}>{level}</span>;
}

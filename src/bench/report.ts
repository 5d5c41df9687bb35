// The benchmark report: ratios against the anchors, the issue's targets (information, never a
// verdict on the exit code), and the text rendering of it all.
import type { AnchorName, AnchorResult } from './anchors.js';
import type { BenchError, ColdFigures, ConcurrencyFigures, PhaseFigures } from './sandbox-bench.js';
import type { ServiceFigures } from './service-bench.js';
import { formatServiceSection } from './service-report.js';
import { ratio, type Summary } from './stats.js';

export interface BenchOptions {
  readonly iterations: number;
  /** Sandboxes alive at once in the concurrency phase; 0 skips it. */
  readonly concurrent: number;
  /** Creates (and execs, destroys) in flight at a time during the concurrency phase. */
  readonly parallelism: number;
  readonly skipSrt: boolean;
  /** The service section (praetord, its API, one-shot runs as whole processes); skipped when false. */
  readonly service: boolean;
  /** Live sandboxes made through the API in the service section; 0 skips that phase. */
  readonly serviceLive: number;
}

export interface BenchFigures {
  readonly anchors: readonly AnchorResult[];
  readonly praetor: {
    readonly cold: ColdFigures;
    /** null: the sandbox layer has no warm pool yet. */
    readonly pooled: Summary | null;
    readonly exec: Summary | null;
  };
  readonly concurrency: ConcurrencyFigures | null;
  readonly service: ServiceFigures | null;
}

export interface Ratio {
  readonly name: string;
  readonly value: number | null;
}

export interface TargetCheck {
  readonly name: string;
  readonly target: string;
  readonly value: number | null;
  readonly unit: 'ms' | 'x' | 'sandboxes';
  /** null when the figure was not measured in this run. */
  readonly met: boolean | null;
  readonly note: string | null;
}

export interface BenchReport extends BenchFigures {
  readonly host: { readonly cpus: number; readonly kernel: string; readonly node: string; readonly backend: string };
  readonly options: BenchOptions;
  readonly ratios: readonly Ratio[];
  readonly targets: readonly TargetCheck[];
  readonly errors: readonly BenchError[];
}

const LIVE_TARGET = 200;

function anchorP50(figures: BenchFigures, name: AnchorName): number | null {
  return figures.anchors.find((a) => a.name === name)?.summary?.p50 ?? null;
}

export function computeRatios(figures: BenchFigures): Ratio[] {
  const bare = anchorP50(figures, 'bare');
  const bwrap = anchorP50(figures, 'bwrap');
  const srt = anchorP50(figures, 'srt');
  const node = anchorP50(figures, 'node');
  const exec = figures.praetor.exec?.p50 ?? null;
  const cold = figures.praetor.cold.createToFirstCommand?.p50 ?? null;
  return [
    { name: 'praetor exec p50 / raw bwrap p50', value: ratio(exec, bwrap) },
    { name: 'praetor exec p50 / bare spawn p50', value: ratio(exec, bare) },
    { name: 'praetor cold p50 / raw bwrap p50', value: ratio(cold, bwrap) },
    { name: 'praetor cold p50 / srt p50', value: ratio(cold, srt) },
    { name: 'srt p50 / raw bwrap p50', value: ratio(srt, bwrap) },
    { name: 'srt p50 / node start-up p50', value: ratio(srt, node) },
    { name: 'raw bwrap p50 / bare spawn p50', value: ratio(bwrap, bare) },
  ];
}

function atMost(name: string, target: string, value: number | null, limit: number | null, unit: TargetCheck['unit']): TargetCheck {
  const met = value === null || limit === null ? null : value <= limit;
  return { name, target, value, unit, met, note: null };
}

function liveCheck(c: ConcurrencyFigures | null): TargetCheck {
  const base = { name: `${LIVE_TARGET} live sandboxes`, target: `>= ${LIVE_TARGET} alive, each ran true`, unit: 'sandboxes' as const };
  if (c === null) return { ...base, value: null, met: null, note: 'not measured (--concurrent 0)' };
  const value = Math.min(c.peakLive, c.exec.succeeded);
  if (value >= LIVE_TARGET) return { ...base, value, met: true, note: null };
  if (c.requested < LIVE_TARGET && value === c.requested) {
    return { ...base, value, met: null, note: `ran ${c.requested} only (--concurrent)` };
  }
  return { ...base, value, met: false, note: `${c.peakLive} alive, ${c.exec.succeeded} ran true` };
}

export function checkTargets(figures: BenchFigures): TargetCheck[] {
  const { cold, pooled, exec } = figures.praetor;
  const bwrap = anchorP50(figures, 'bwrap');
  const execVsBwrap = ratio(exec?.p50, bwrap);
  return [
    atMost('cold create-to-first-command p50', '<= 50 ms', cold.createToFirstCommand?.p50 ?? null, 50, 'ms'),
    {
      ...atMost('pooled create-to-first-command p50', '<= 10 ms', pooled?.p50 ?? null, 10, 'ms'),
      note: pooled === null ? 'pooled: not implemented' : null,
    },
    atMost('exec true p50 vs raw bwrap true p50', '<= 1.5x', execVsBwrap, 1.5, 'x'),
    atMost('destroy p50', '<= 20 ms', cold.destroy?.p50 ?? null, 20, 'ms'),
    liveCheck(figures.concurrency),
  ];
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

function mib(bytes: number | null, digits = 0): string {
  return bytes === null ? '?' : `${(bytes / 2 ** 20).toFixed(digits)} MiB`;
}

/** Left-aligned columns padded to their widest cell; a dozen lines, no table library needed. */
function table(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

function summaryRow(label: string, s: Summary | null, why = 'no successful sample'): string[] {
  // The reason goes in a trailing column of its own, so it does not widen the figures' columns.
  if (s === null) return [label, '-', '-', '-', '-', '-', '-', why];
  return [label, String(s.count), ms(s.p50), ms(s.p99), ms(s.min), ms(s.max), ms(s.mean)];
}

const SUMMARY_HEADER = ['', 'n', 'p50 ms', 'p99 ms', 'min', 'max', 'mean'];

function phaseRow(label: string, p: PhaseFigures): string[] {
  const each = p.each === null ? ['-', '-'] : [ms(p.each.p50), ms(p.each.p99)];
  return [label, `${p.succeeded}/${p.attempted}`, (p.totalMs / 1000).toFixed(2), ...each];
}

function concurrencySection(c: ConcurrencyFigures): string {
  const drop = c.memAvailableBefore !== null && c.memAvailableAtPeak !== null ? c.memAvailableBefore - c.memAvailableAtPeak : null;
  return [
    `Concurrency: ${c.requested} sandboxes, ${c.parallelism} in flight at a time; peak alive ${c.peakLive}`,
    table([
      ['', 'ok/tried', 'total s', 'each p50 ms', 'each p99 ms'],
      phaseRow('create', c.create),
      phaseRow('exec true', c.exec),
      phaseRow('destroy', c.destroy),
    ]),
    `  host MemAvailable: before ${mib(c.memAvailableBefore)}, at peak ${mib(c.memAvailableAtPeak)} (used ${mib(drop)}` +
      `${drop !== null && c.peakLive > 0 ? `, ${mib(drop / c.peakLive, 2)} per sandbox` : ''}), after destroy ${mib(c.memAvailableAfter)}`,
    `  praetor RSS: before ${mib(c.praetorRssBefore)}, at peak ${mib(c.praetorRssAtPeak)}, after ${mib(c.praetorRssAfter)}`,
  ].join('\n');
}

function targetValue(t: TargetCheck): string {
  if (t.value === null) return '-';
  if (t.unit === 'ms') return `${ms(t.value)} ms`;
  if (t.unit === 'x') return `${t.value.toFixed(2)}x`;
  return String(t.value);
}

export function formatReport(r: BenchReport): string {
  const { cold, pooled, exec } = r.praetor;
  const out: string[] = [
    `praetor bench: ${r.host.backend} backend, ${r.host.cpus} CPUs, kernel ${r.host.kernel}, node ${r.host.node}, ` +
      `${r.options.iterations} iterations (figures, not assertions)`,
    '',
    'Anchors (node:child_process spawn, wait for exit)',
    table([
      SUMMARY_HEADER,
      ...r.anchors.map((a) => summaryRow(a.label, a.unavailable === null ? a.summary : null, `unavailable: ${a.unavailable}`)),
    ]),
    '',
    `praetor (${r.host.backend} backend); backend start-up (first create + true): ${ms(cold.backendStartMs)} ms`,
    table([
      SUMMARY_HEADER,
      summaryRow('cold create -> first true', cold.createToFirstCommand),
      summaryRow('destroy', cold.destroy),
      summaryRow('pooled create -> first true', pooled, 'pooled: not implemented'),
      summaryRow('exec true (live sandbox)', exec),
    ]),
  ];
  if (cold.firstExecFailed > 0) {
    out.push(`  note: in ${cold.firstExecFailed} of ${r.options.iterations} cold sandboxes the first true failed; they are left out of the figure (see errors)`);
  }
  if (r.concurrency !== null) out.push('', concurrencySection(r.concurrency));
  if (r.service !== null) out.push('', formatServiceSection(r.service, r.anchors, (rows) => table(rows)));
  out.push('', 'Ratios of p50s', table(r.ratios.map((x) => [x.name, x.value === null ? '-' : `${x.value.toFixed(2)}x`])));
  out.push(
    '',
    'Targets (information only)',
    table(
      r.targets.map((t) => [
        t.name,
        t.target,
        targetValue(t),
        t.met === null ? 'not measured' : t.met ? 'met' : 'not met',
        t.note ?? '',
      ]),
    ),
  );
  const failures = r.anchors.flatMap((a) => a.failures.map((f) => `[anchor ${a.name}] ${f}`));
  const errorCount = r.errors.reduce((n, e) => n + e.count, 0) + failures.length;
  out.push('', errorCount === 0 ? 'Errors: none' : `Errors (${errorCount})`);
  for (const e of r.errors) out.push(`  [${e.phase}] x${e.count}: ${e.message}`);
  for (const f of failures) out.push(`  ${f}`);
  return `${out.join('\n')}\n`;
}

// The service section of `praetor bench`: its figures beside node's start-up and srt from the same
// run, and the targets for them (information, never a verdict on the exit code).
import type { AnchorResult } from './anchors.js';
import type { ServiceFigures } from './service-bench.js';
import { ratio, type Summary } from './stats.js';

export const LIVE_API_TARGET = 1000;

export interface ServiceTarget {
  readonly name: string;
  readonly target: string;
  readonly value: number | null;
  readonly unit: 'ms' | 'x' | 'sandboxes';
  readonly met: boolean | null;
  readonly note: string | null;
}

function p50(a: AnchorResult | undefined): number | null {
  return a?.summary?.p50 ?? null;
}

function check(name: string, target: string, value: number | null, unit: ServiceTarget['unit'], ok: (v: number) => boolean, note: string | null = null): ServiceTarget {
  return { name, target, value, unit, met: value === null ? null : ok(value), note };
}

export function serviceTargets(s: ServiceFigures, anchors: readonly AnchorResult[]): ServiceTarget[] {
  const node = p50(anchors.find((a) => a.name === 'node'));
  const srt = p50(anchors.find((a) => a.name === 'srt'));
  const viaDaemon = p50(s.oneShotDaemon);
  const local = p50(s.oneShotLocal);
  const live = s.live;
  return [
    check('one-shot run through praetord p50 / node -e 0 p50', '<= 1.5x', ratio(viaDaemon, node), 'x', (v) => v <= 1.5),
    check('srt p50 / one-shot run through praetord p50', '>= 4x', ratio(srt, viaDaemon), 'x', (v) => v >= 4),
    check('one-shot run without a daemon p50 / srt p50', '<= 0.5x', ratio(local, srt), 'x', (v) => v <= 0.5),
    check('exec true over the API p50', '<= 3 ms', s.apiExec?.p50 ?? null, 'ms', (v) => v <= 3),
    live === null
      ? { name: `${LIVE_API_TARGET} live sandboxes through the API`, target: `>= ${LIVE_API_TARGET}`, value: null, unit: 'sandboxes', met: null, note: 'not measured (--service-live 0)' }
      : {
          ...check(`${LIVE_API_TARGET} live sandboxes through the API`, `>= ${LIVE_API_TARGET}`, Math.min(live.created, live.ranTrue), 'sandboxes', (v) => v >= LIVE_API_TARGET),
          // Fewer asked for (--service-live) and all made: the target was not tried, not missed.
          ...(live.requested < LIVE_API_TARGET && Math.min(live.created, live.ranTrue) === live.requested ? { met: null, note: `asked for ${live.requested} only` } : {}),
        },
  ];
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

function mib(bytes: number | null, digits = 0): string {
  return bytes === null ? '?' : `${(bytes / 2 ** 20).toFixed(digits)} MiB`;
}

function row(label: string, s: Summary | null, why = 'no successful sample'): string[] {
  if (s === null) return [label, '-', '-', '-', '-', '-', '-', why];
  return [label, String(s.count), ms(s.p50), ms(s.p99), ms(s.min), ms(s.max), ms(s.mean)];
}

export function formatServiceSection(s: ServiceFigures, anchors: readonly AnchorResult[], table: (rows: readonly (readonly string[])[]) => string): string {
  const anchor = (a: AnchorResult): string[] => row(a.label, a.unavailable === null ? a.summary : null, `unavailable: ${a.unavailable}`);
  const out = [
    `Service (praetord on a unix socket, pool ${s.pool}, ready in ${ms(s.daemonStartMs)} ms); whole processes beside the anchors above`,
    table([
      ['', 'n', 'p50 ms', 'p99 ms', 'min', 'max', 'mean'],
      ...anchors.filter((a) => a.name === 'node' || a.name === 'srt').map(anchor),
      anchor(s.oneShotLocal),
      anchor(s.oneShotDaemon),
      ...(s.oneShotDaemonNode !== undefined ? [anchor(s.oneShotDaemonNode)] : []),
      row('exec true over the API (host quiet)', s.apiExec),
      row('create -> first true over the API', s.apiCreateToFirstCommand),
      row('destroy over the API', s.apiDestroy),
    ]),
  ];
  const l = s.live;
  if (l !== null) {
    const used = l.memAvailableBefore !== null && l.memAvailableAtPeak !== null ? l.memAvailableBefore - l.memAvailableAtPeak : null;
    out.push(
      `  ${l.created}/${l.requested} live sandboxes created through the API in ${l.createSeconds.toFixed(1)} s, ${l.ranTrue} ran true; destroyed in ${l.destroySeconds.toFixed(1)} s`,
      `  host MemAvailable: before ${mib(l.memAvailableBefore)}, at peak ${mib(l.memAvailableAtPeak)} (used ${mib(used)}, ${mib(l.bytesPerSandbox, 2)} per sandbox); praetord RSS ${mib(l.daemonRssBefore)} -> ${mib(l.daemonRssAtPeak)}`,
    );
  }
  const targets = serviceTargets(s, anchors);
  const value = (t: ServiceTarget): string => (t.value === null ? '-' : t.unit === 'ms' ? `${ms(t.value)} ms` : t.unit === 'x' ? `${t.value.toFixed(2)}x` : String(t.value));
  out.push(
    '  targets (information only):',
    table(targets.map((t) => [t.name, t.target, value(t), t.met === null ? 'not measured' : t.met ? 'met' : 'not met', t.note ?? ''])),
  );
  return out.join('\n');
}

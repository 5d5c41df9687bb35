// The rule engine's own cost, in process, for `praetor bench-guard`: microseconds per process-start
// event and per resource sample through the whole built-in set, and the slowest of a set of hostile
// command lines (50 KB repeats of the prefixes the rule regexes start from, the ending they wait
// for never coming). Rule regexes are RE2 (linear); this shows the layers around them are too.
// Printed, never asserted: a timing is a figure, not a test.
import { RuleEngine } from '../detect/rule-engine.js';
import { loadBuiltinRules } from '../detect/rule-loader.js';
import { openCommandContext } from '../detect/command-fields.js';
import type { ProcessStartEvent, ResourceSample } from '../monitor/events.js';
import { HOSTILE_UNITS, hostileArgvs } from '../detect/hostile-lines.js';

export interface RuleEngineFigures {
  readonly processStartUs: number;
  readonly resourceSampleUs: number;
  /** The slowest hostile line, best of three runs each, in ms, and what it was. */
  readonly hostileWorstMs: number;
  readonly hostileWorstCase: string;
}

const T0 = Date.UTC(2026, 0, 1);

function processStart(argv: readonly string[], pid: number, time: number): ProcessStartEvent {
  return { kind: 'process-start', time, sandboxId: 'bench', step: 1, pid, ppid: 1, uid: 1000, exe: `/usr/bin/${argv[0]}`, argv, cwd: '/workspace' };
}

function resourceSample(time: number): ResourceSample {
  return { kind: 'resource-sample', time, sandboxId: 'bench', step: 1, scope: 'step', cpuSeconds: 1, cpuCores: 1, intervalMs: 1000, memoryBytes: 50_000_000, pids: 1, stepRunning: true };
}

function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function measureRuleEngine(): Promise<RuleEngineFigures> {
  const builtin = loadBuiltinRules();
  const { context } = await openCommandContext();
  const engine = new RuleEngine(builtin.rules, { now: () => T0, commandContext: context });
  const starts = Array.from({ length: 5000 }, (_, i) => processStart(['node', '/workspace/node_modules/.bin/vitest', 'run', `src/module-${i}.test.ts`], 1000 + i, T0 + i));
  for (const e of starts.slice(0, 500)) engine.process(e); // warm up the JIT and the lazy regexes
  let start = process.hrtime.bigint();
  for (const e of starts) engine.process(e);
  const processStartUs = (elapsedMs(start) * 1000) / starts.length;
  start = process.hrtime.bigint();
  for (let i = 0; i < 5000; i++) engine.process(resourceSample(T0 + i));
  const resourceSampleUs = (elapsedMs(start) * 1000) / 5000;
  let hostileWorstMs = 0;
  let hostileWorstCase = '';
  for (const unit of HOSTILE_UNITS) {
    for (const argv of hostileArgvs(unit)) {
      let best = Infinity;
      for (let run = 0; run < 3; run++) {
        const fresh = new RuleEngine(builtin.rules, { now: () => T0, commandContext: context });
        start = process.hrtime.bigint();
        fresh.process(processStart(argv, 4242, T0));
        best = Math.min(best, elapsedMs(start));
      }
      if (best > hostileWorstMs) {
        hostileWorstMs = best;
        hostileWorstCase = `${argv[0]} with ${JSON.stringify(unit)} x ${Math.ceil(50_000 / unit.length)}`;
      }
    }
  }
  return { processStartUs, resourceSampleUs, hostileWorstMs, hostileWorstCase };
}

// Compiles the regexes that rules left to compile on first use (the built-in rules: rule-loader.ts),
// one rule at a time between the process's other callbacks, so a daemon never compiles on a
// request's path. A one-shot run does not warm: compiling every rule's regexes ahead cost it more
// (paired runs, load 6: wall p50 1435 ms against 1320) than compiling those its events reach.
// Abort the signal to stop.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CompiledRule } from './rule-schema.js';

export async function warmRules(rules: readonly CompiledRule[], signal: AbortSignal): Promise<void> {
  for (const rule of rules) {
    if (rule.warm === undefined) continue;
    await nextTurn();
    if (signal.aborted) return;
    rule.warm();
  }
}

// `praetor rules test FILE EVENTS`: validates a rule file and replays a JSONL file of guard events
// through it, so a rule can be written and checked without a sandbox.
import { readFileSync } from 'node:fs';
import type { GuardEvent } from '../monitor/events.js';
import type { Alert } from './alert.js';
import { EVENT_KINDS } from './event-fields.js';
import { RuleEngine } from './rule-engine.js';
import type { CommandContext } from './command-fields.js';
import { loadRuleFiles } from './rule-loader.js';
import type { CompiledRule } from './rule-schema.js';

export interface RuleTestResult {
  /** Rule file errors (`source: path: message`) and event lines that were skipped (`file:line: why`). */
  readonly errors: string[];
  readonly alerts: Alert[];
}

/**
 * Runs rules over events in order, as the guard would, with the clock at each event's time: a replay's
 * latencies are the rules' own, not the time since the events were recorded.
 */
export function replayEvents(rules: readonly CompiledRule[], events: Iterable<GuardEvent>, commandContext?: CommandContext): Alert[] {
  let clock = 0;
  const engine = new RuleEngine(rules, { now: () => clock, ...(commandContext ? { commandContext } : {}) });
  const alerts: Alert[] = [];
  for (const event of events) {
    clock = event.time;
    alerts.push(...engine.process(event));
  }
  return alerts;
}

/** Parses JSON lines into events; blank lines are skipped, malformed ones reported by line number. */
export function parseEventLines(text: string, source: string): { events: GuardEvent[]; errors: string[] } {
  const events: GuardEvent[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${source}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      errors.push(`${where}: not JSON: ${(err as Error).message}`);
      return;
    }
    const why = eventProblem(value);
    if (why !== null) errors.push(`${where}: ${why}`);
    else events.push(value as GuardEvent);
  });
  return { events, errors };
}

/** The fields every event has; the rest are the rules' business (a missing one simply does not match). */
function eventProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'an event is a JSON object';
  const e = value as Record<string, unknown>;
  if (typeof e.kind !== 'string' || !(EVENT_KINDS as readonly string[]).includes(e.kind)) {
    return `kind must be one of ${EVENT_KINDS.join(', ')}`;
  }
  if (typeof e.time !== 'number' || !Number.isFinite(e.time)) return 'time must be epoch milliseconds';
  if (typeof e.sandboxId !== 'string') return 'sandboxId must be a string';
  if (e.step !== null && typeof e.step !== 'number') return 'step must be a number or null';
  return null;
}

export function testRuleFile(rulesPath: string, eventsJsonlPath: string, commandContext?: CommandContext): RuleTestResult {
  const loaded = loadRuleFiles([rulesPath]);
  let text: string;
  try {
    text = readFileSync(eventsJsonlPath, 'utf8');
  } catch (err) {
    return { errors: [...loaded.errors, `${eventsJsonlPath}: cannot read: ${(err as Error).message}`], alerts: [] };
  }
  const parsed = parseEventLines(text, eventsJsonlPath);
  return { errors: [...loaded.errors, ...parsed.errors], alerts: replayEvents(loaded.rules, parsed.events, commandContext) };
}

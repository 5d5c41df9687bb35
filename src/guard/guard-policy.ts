// What the guard does about an alert, set per sandbox.
import { z } from 'zod';
import { SEVERITIES, type Severity } from '../detect/alert.js';

export const GuardPolicySchema = z.object({
  mode: z
    .enum(['monitor', 'block', 'freeze', 'terminate'])
    .default('block')
    .describe(
      'monitor: record only; block: deny at the proxy and kill the offending process tree; ' +
        'freeze: freeze the whole sandbox for inspection; terminate: destroy the sandbox',
    ),
  minSeverity: z.enum(SEVERITIES).default('medium').describe('Alerts below this severity are recorded, never enforced.'),
});
export type GuardPolicy = z.infer<typeof GuardPolicySchema>;
export type GuardMode = GuardPolicy['mode'];

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}

/** One thing the guard did, kept with the alert that caused it. */
export interface GuardAction {
  readonly time: number;
  readonly sandboxId: string;
  readonly alertId: string;
  readonly action: 'record' | 'deny-stream' | 'kill-tree' | 'kill-step' | 'freeze' | 'thaw' | 'terminate';
  /** What it acted on: a pid, a step, a host:port. */
  readonly target: string | null;
  readonly ok: boolean;
  readonly error: string | null;
}

// How an episode is scored: the verifier's reward, less a safety penalty for every alert the
// episode raised. Pure functions, so the trainer can recompute a reward from a stored episode.
import { SEVERITIES } from '../detect/alert.js';
import type { AlertCounts, AlertRecord, Outcome, SafetyPenalties } from './episode-model.js';

/** `reward=<float>` alone on the verifier's last non-empty line. */
const REWARD_LINE = /^reward=([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)$/i;

/**
 * The verifier's reward: the float of a last line `reward=<float>` when it prints one (it chose a
 * graded reward, whatever its exit code), else 1 for exit 0 and 0 for anything else.
 */
export function parseVerifierReward(exitCode: number | null, output: string): number {
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const match = REWARD_LINE.exec(lines.at(-1) ?? '');
  if (match?.[1] !== undefined) {
    const value = Number(match[1]);
    if (Number.isFinite(value)) return value;
  }
  return exitCode === 0 ? 1 : 0;
}

export function countAlerts(alerts: readonly Pick<AlertRecord, 'severity'>[]): AlertCounts {
  const counts: AlertCounts = { low: 0, medium: 0, high: 0, critical: 0 };
  for (const a of alerts) counts[a.severity] += 1;
  return counts;
}

/**
 * Penalty = sum over alerts of penalties[severity], capped at penalties.cap (1.0 by default).
 * The cap keeps rewards in a bounded range, so one chatty rule can not swamp a training batch's
 * advantage estimates; one critical alert already takes a passing episode down to 0. Reward is
 * the verifier's reward (0 when there is none) minus the penalty, not floored: a flagged failure
 * scores below a clean failure. Any alert, low severity included, labels the episode flagged.
 */
export function computeOutcome(
  verifierReward: number | null,
  alerts: readonly Pick<AlertRecord, 'severity'>[],
  penalties: SafetyPenalties,
  verifierOutput: string | null = null,
): Outcome {
  const alertCounts = countAlerts(alerts);
  const sum = SEVERITIES.reduce((acc, s) => acc + alertCounts[s] * penalties[s], 0);
  const penalty = Math.min(sum, penalties.cap);
  return {
    verifierReward,
    verifierOutput,
    safetyLabel: alerts.length > 0 ? 'flagged' : 'clean',
    alertCounts,
    penalty,
    reward: (verifierReward ?? 0) - penalty,
  };
}

// Export of episodes as JSONL in OpenAI chat format (docs/episodes.md, docs/export-schema.json),
// and the golden filter: completed, verified, and clean, the only trajectories safe to train on as
// examples of good behaviour.
import { formatIssues } from '../core/schema-issues.js';
import { PraetorError } from '../core/errors.js';
import { SEVERITIES, type Severity } from '../detect/alert.js';
import { ChatLineSchema, type ChatLine, type ChatMessage, type StepLabel } from './chat-format.js';
import type { EpisodeRecord, GpuUseRecord, StepRecord } from './episode-model.js';
import { turnConversation } from './export-turns.js';
import type { EpisodeStore } from './store/episode-store.js';
import type { TurnRecord } from './turn-record.js';
import { countAlerts, groupBehaviours } from './reward.js';

export interface ExportOptions {
  /** Golden episodes only (see isGolden). */
  readonly clean?: boolean;
  /** These episodes, in this order; an unknown id is an error. Otherwise every finished episode, newest first. */
  readonly ids?: readonly string[];
}

/**
 * Golden: status 'completed', an outcome whose verifierReward is > 0 (a verifier ran and passed)
 * and whose safetyLabel is 'clean' with no alert counted, and, when the steps are given, no alert
 * on any step. An episode without a verifier is never golden: nothing showed the task was done.
 */
export function isGolden(episode: EpisodeRecord, steps?: readonly StepRecord[]): boolean {
  const o = episode.outcome;
  if (episode.status !== 'completed' || o === null) return false;
  if (o.verifierReward === null || !(o.verifierReward > 0)) return false;
  if (o.safetyLabel !== 'clean' || Object.values(o.alertCounts).some((n) => n > 0)) return false;
  return steps === undefined || steps.every((s) => raised(s).length === 0 && !policyDenied(s));
}

/** The step's alerts less its findings: findings are labels that neither flag a step nor spoil a golden episode. */
export function raised(step: StepRecord): StepRecord['alerts'] {
  return step.alerts.filter((a) => a.finding !== true);
}

/** Whether the command policy denied something on the step (the agent tried, even if nothing ran). */
export function policyDenied(step: StepRecord): boolean {
  return step.policy.some((d) => d.final === 'deny');
}

/** The conversation from the steps: the recorded prompt, then one assistant message per model turn. */
function stepConversation(episode: EpisodeRecord, steps: readonly StepRecord[]): ChatMessage[] {
  const messages: ChatMessage[] = [...(episode.messages ?? [{ role: 'user', content: episode.task.instruction }])];
  for (const turn of groupByTurn(steps)) {
    const texts = turn.flatMap((s) => (s.message === undefined ? [] : [s.message]));
    const calls = turn.flatMap((s) => (s.action === undefined ? [] : [{ action: s.action, result: s.observation?.content ?? '' }]));
    const content = texts.length > 0 ? texts.join('\n') : null;
    if (calls.length === 0) {
      messages.push({ role: 'assistant', content: content ?? '' });
      continue;
    }
    messages.push({
      role: 'assistant',
      content,
      tool_calls: calls.map(({ action }) => ({
        id: action.id,
        type: 'function',
        function: { name: action.name, arguments: JSON.stringify(action.arguments) },
      })),
    });
    for (const { action, result } of calls) messages.push({ role: 'tool', tool_call_id: action.id, content: result });
  }
  return messages;
}

function maxSeverity(severities: readonly Severity[]): Severity | null {
  let best: Severity | null = null;
  for (const s of severities) if (best === null || SEVERITIES.indexOf(s) > SEVERITIES.indexOf(best)) best = s;
  return best;
}

/**
 * One episode as a chat line. An agent-native episode's conversation is the agent's own, from the
 * turns the gateway recorded; any other's is built from its steps, steps sharing a model turn
 * becoming one assistant message. The labels, alerts and behaviours come from the steps in both.
 */
export function episodeToChat(episode: EpisodeRecord, steps: readonly StepRecord[], turns: readonly TurnRecord[] = []): ChatLine {
  const fromTurns = turnConversation(turns, steps);
  const messages = fromTurns?.messages ?? stepConversation(episode, steps);
  const labels: StepLabel[] = steps.map((s) => ({
    step: s.index,
    turn: s.turn ?? null,
    tool_call_id: s.action?.id ?? null,
    label: raised(s).length > 0 || policyDenied(s) ? 'flagged' : 'clean',
    severity: maxSeverity(raised(s).map((a) => a.severity)),
    techniques: [...new Set(raised(s).map((a) => a.technique))],
    rules: [...new Set(raised(s).map((a) => a.ruleId))],
    findings: [...new Set(s.alerts.filter((a) => a.finding === true).map((a) => a.ruleId))],
    denied: s.observation?.denied ?? false,
    alerts: s.alerts,
    policy: s.policy,
    ...gpuOf(s.gpu),
  }));
  const denials = steps.filter(policyDenied).length;
  // Alerts raised outside any step (during the verifier, say) are counted in the outcome only.
  const alerts = steps.flatMap((s) => s.alerts);
  const real = steps.flatMap(raised);
  const o = episode.outcome;
  const penalties = episode.task.safetyPenalties;
  return {
    messages,
    tools: fromTurns?.tools ?? episode.tools ?? [],
    metadata: {
      episode_id: episode.id,
      task_id: episode.taskId,
      policy: episode.policy,
      source: fromTurns === null ? 'steps' : 'turns',
      status: episode.status,
      status_reason: episode.statusReason ?? null,
      reward: o?.reward ?? null,
      verifier_reward: o?.verifierReward ?? null,
      penalty: o?.penalty ?? null,
      safety_label: o?.safetyLabel === 'flagged' || real.length > 0 || denials > 0 ? 'flagged' : 'clean',
      golden: isGolden(episode, steps),
      alert_counts: o?.alertCounts ?? countAlerts(real),
      alerts,
      behaviours: groupBehaviours(real).map((b) => ({
        technique: b.technique,
        step: b.step,
        turn: b.turn,
        sandbox_step: b.sandboxStep,
        severity: b.severity,
        penalty: penalties[b.severity],
        rule_ids: b.ruleIds,
        alert_ids: b.alertIds,
      })),
      policy_denials: denials,
      per_step_labels: labels,
      turns: fromTurns?.turns ?? [],
      ...gpuOf(episode.gpu),
    },
  };
}

function gpuOf(gpu: GpuUseRecord | undefined): { gpu?: { gpu_seconds: number; peak_memory_bytes: number } } {
  return gpu === undefined ? {} : { gpu: { gpu_seconds: gpu.gpuSeconds, peak_memory_bytes: gpu.peakMemoryBytes } };
}

/**
 * The export line by line. Running episodes are left out unless named in ids (their trajectory is
 * still growing). Each line is checked against ChatLineSchema; a line that fails is a bug here.
 */
export function* exportEpisodeLines(store: EpisodeStore, opts: ExportOptions = {}): Generator<string> {
  const episodes =
    opts.ids === undefined
      ? store.listEpisodes().filter((e) => e.status !== 'running')
      : opts.ids.map((id) => store.getEpisode(id) ?? missing(id));
  for (const episode of episodes) {
    const steps = store.steps(episode.id);
    if (opts.clean === true && !isGolden(episode, steps)) continue;
    const checked = ChatLineSchema.safeParse(episodeToChat(episode, steps, store.turns(episode.id)));
    if (!checked.success) {
      throw new PraetorError('internal', `episode ${episode.id} exports an invalid line: ${formatIssues(checked.error.issues).join('; ')}`);
    }
    yield JSON.stringify(checked.data);
  }
}

/** The whole export as one string, a newline after each line; '' when nothing matched. */
export function exportEpisodesJsonl(store: EpisodeStore, opts: ExportOptions = {}): string {
  let out = '';
  for (const line of exportEpisodeLines(store, opts)) out += `${line}\n`;
  return out;
}

function missing(id: string): never {
  throw new PraetorError('usage', `no episode ${id} in the store`);
}

/** Consecutive steps with the same turn id; a step without one is a turn of its own. */
function groupByTurn(steps: readonly StepRecord[]): StepRecord[][] {
  const groups: StepRecord[][] = [];
  for (const s of steps) {
    const last = groups.at(-1);
    const prev = last?.at(-1);
    if (last !== undefined && s.turn !== undefined && prev?.turn === s.turn) last.push(s);
    else groups.push([s]);
  }
  return groups;
}

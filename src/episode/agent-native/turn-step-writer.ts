// Stores an in-sandbox agent's turns while it runs: each turn as the gateway recorded it (failed
// ones too), and as episode steps. A turn's steps are written
// when the agent's next request arrives (it carries the tool results); the gateway holds that
// request until the write is done, after the guard has caught up, so every alert the agent's
// actions raised is already there and no later turn's response can be delivered before it.
import type { Turn, TurnRequest } from '../../agent/gateway/gateway-wire.js';
import type { Guard } from '../../guard/guard.js';
import type { Sandbox } from '../../sandbox/backend.js';
import type { SandboxAlerts } from '../sandbox-alerts.js';
import type { StepRecord } from '../episode-model.js';
import type { EpisodeStore } from '../store/episode-store.js';
import { toTurnRecord } from '../turn-record.js';
import { alertsOfTurn, turnSteps } from './turn-steps.js';

export interface TurnStepWriterDeps {
  readonly episodeId: string;
  readonly store: EpisodeStore;
  readonly guard: Guard;
  readonly sandbox: Sandbox;
  /** The sandbox's alerts as the guard publishes them (the session's). */
  readonly alerts: SandboxAlerts;
  /** The sandbox exec step the agent runs as. */
  readonly agentStep: number;
  readonly onStep?: (step: StepRecord) => void;
}

export class TurnStepWriter {
  private pending: Turn | null = null;
  private nextIndex = 1;
  private readonly assigned = new Set<string>();
  // Writes run one after another, so step indices follow the turns even if requests overlap.
  private queue: Promise<void> = Promise.resolve();
  private error: Error | null = null;

  constructor(private readonly deps: TurnStepWriterDeps) {}

  get stepCount(): number {
    return this.nextIndex - 1;
  }

  /** The first error a write hit (the store refused a step), or null. */
  get failure(): Error | null {
    return this.error;
  }

  /** A turn finished: stored at once; its steps wait for the agent's next request (or the end). */
  turnFinished(turn: Turn): void {
    void this.chain(() => this.deps.store.appendTurn(toTurnRecord(this.deps.episodeId, turn)));
    // A failed turn gave the agent nothing to act on; the turn before it stays pending.
    if (turn.response !== null) this.pending = turn;
  }

  /** The agent sent its next request: the pending turn's steps are written with its tool results. */
  requestArrived(request: TurnRequest): Promise<void> {
    const turn = this.pending;
    if (turn === null || turn.index >= request.index) return this.queue;
    this.pending = null;
    return this.enqueue(turn, { messages: request.request.messages, requestedAt: request.requestedAt });
  }

  /** The agent is gone: writes the last turn, with no tool results. */
  finish(): Promise<void> {
    const turn = this.pending;
    this.pending = null;
    return turn === null ? this.queue : this.enqueue(turn, null);
  }

  private assignedDecisions = 0;

  private enqueue(turn: Turn, next: { messages: TurnRequest['request']['messages']; requestedAt: number } | null): Promise<void> {
    return this.chain(() => this.write(turn, next));
  }

  private chain(write: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(write).catch((err: unknown) => {
      this.error ??= err instanceof Error ? err : new Error(String(err));
    });
    return this.queue;
  }

  private async write(turn: Turn, next: { messages: TurnRequest['request']['messages']; requestedAt: number } | null): Promise<void> {
    const { sandbox, guard, store } = this.deps;
    await sandbox.flushNetworkEvents().catch(() => undefined);
    await guard.settle();
    const alerts = alertsOfTurn(this.deps.alerts.all(), turn, this.assigned, this.deps.agentStep);
    for (const a of alerts) this.assigned.add(a.id);
    // the command policy's decisions on processes the agent started since its last turn
    const policy = guard.policyDecisions(sandbox.id).slice(this.assignedDecisions);
    this.assignedDecisions += policy.length;
    const steps = turnSteps(turn, {
      policy,
      episodeId: this.deps.episodeId,
      firstIndex: this.nextIndex,
      next,
      endedAt: Date.now(),
      alerts,
      sandboxSteps: [this.deps.agentStep],
    });
    for (const step of steps) {
      await store.appendStep(step);
      this.nextIndex++;
      this.deps.onStep?.(step);
    }
  }
}

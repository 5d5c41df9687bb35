// Where episodes and their steps are kept: the interface every store implements (open-store.ts
// picks one from a URL; store-conformance.ts is the suite each passes).
// Appending a step is the one asynchronous call: it resolves once the step is durable, so a runner
// that awaits it has the step on disk before the next one starts, and steps of many episodes that
// arrive together share one sync of the log. Everything else is synchronous and sees every step
// appended before it.
import type {
  EpisodeRecord,
  EpisodeRecordInput,
  EpisodeStatus,
  FinalStatus,
  GpuUseRecord,
  Outcome,
  StepRecord,
  StepRecordInput,
} from '../episode-model.js';
import type { TurnRecord, TurnRecordInput } from '../turn-record.js';

export interface EpisodeFilter {
  readonly status?: EpisodeStatus;
  /** At most this many, newest first. */
  readonly limit?: number;
}

export interface EpisodeStore {
  /** Validates and records a new episode; an id already stored is an error. */
  createEpisode(episode: EpisodeRecordInput): void;
  /**
   * Durable when the promise resolves; it rejects when the step is refused. The episode must be
   * running and the index must follow the last one (1 for the first step): a gap would be a lost step.
   */
  appendStep(step: StepRecordInput): Promise<void>;
  /** Ends a running episode with its final status and outcome (and what it used); endedAt is now. */
  finishEpisode(id: string, status: FinalStatus, outcome: Outcome | null, usage?: EpisodeUsage): void;
  getEpisode(id: string): EpisodeRecord | null;
  /** Newest first. A row that fails validation is reported to onCorruptRow and left out. */
  listEpisodes(filter?: EpisodeFilter): EpisodeRecord[];
  /** The episode's steps by index; empty for an unknown episode. */
  steps(episodeId: string): StepRecord[];
  /**
   * Records a model turn of a running episode (agent-native: what the gateway saw). Durable when
   * the promise resolves; a turn index already stored, or an episode not running, is refused.
   */
  appendTurn(turn: TurnRecordInput): Promise<void>;
  /** The episode's model turns by index; empty when it has none. */
  turns(episodeId: string): TurnRecord[];
  /**
   * Run at start-up: episodes a crash left 'running' become 'aborted' with this reason, keeping
   * every step; endedAt is their last step's end. Episodes whose sandbox is in `liveSandboxIds`
   * (another live praetor runs them) are left alone. Returns the ids aborted.
   */
  markRunningAsAborted(reason: string, liveSandboxIds?: readonly string[]): string[];
  close(): void;
}

/** What an episode's sandbox used in all, recorded when it finishes. */
export interface EpisodeUsage {
  readonly gpu?: GpuUseRecord;
}

export interface EpisodeStoreOptions {
  /**
   * SQLite: 'full' (default) syncs the log on every commit, so a step survives power loss and OS
   * crashes; 'normal' survives only a crash of praetor itself.
   */
  readonly synchronous?: 'full' | 'normal';
  /** Told about each row that fails validation on read; defaults to a process warning. */
  readonly onCorruptRow?: (message: string) => void;
  /** Clock for endedAt; tests pin it. */
  readonly now?: () => number;
  /**
   * PostgreSQL: the praetor (fleet node) writing through this store; its markRunningAsAborted
   * touches only episodes it created, since other praetors share the database. SQLite ignores it.
   */
  readonly owner?: string;
}

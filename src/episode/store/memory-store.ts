// The in-memory episode store: the SQLite store's contract without a native module, for the demo
// and tests. It keeps nothing past its process; records are copied in and out, so no caller shares them.
import { PraetorError } from '../../core/errors.js';
import {
  EpisodeRecordSchema,
  GpuUseRecordSchema,
  OutcomeSchema,
  StepRecordSchema,
  type EpisodeRecord,
  type EpisodeRecordInput,
  type FinalStatus,
  type Outcome,
  type StepRecord,
  type StepRecordInput,
} from '../episode-model.js';
import { TurnRecordSchema, type TurnRecord, type TurnRecordInput } from '../turn-record.js';
import type { EpisodeFilter, EpisodeStore, EpisodeStoreOptions, EpisodeUsage } from './episode-store.js';
import { appendRefusal, checkFinalStatus, duplicateEpisode, finishRefusal, turnRefusal, validate } from './store-rules.js';

interface Entry {
  episode: EpisodeRecord;
  readonly steps: StepRecord[];
  readonly turns: Map<number, TurnRecord>;
  /** Insertion order: breaks startedAt ties newest first, as SQLite's rowid does. */
  readonly seq: number;
}

/** A private, empty store; `synchronous` and `onCorruptRow` have nothing to act on here. */
export function openMemoryStore(options: EpisodeStoreOptions = {}): EpisodeStore {
  return new MemoryEpisodeStore(options.now ?? Date.now);
}

class MemoryEpisodeStore implements EpisodeStore {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(private readonly now: () => number) {}

  createEpisode(input: EpisodeRecordInput): void {
    this.checkOpen();
    const episode = asStored(validate(EpisodeRecordSchema, input, 'episode'));
    if (this.entries.has(episode.id)) throw duplicateEpisode(episode.id);
    this.entries.set(episode.id, { episode, steps: [], turns: new Map(), seq: this.entries.size });
  }

  appendStep(input: StepRecordInput): Promise<void> {
    return new Promise((resolve) => {
      this.checkOpen();
      const step = asStored(validate(StepRecordSchema, input, 'step'));
      const entry = this.entries.get(step.episodeId);
      const last = entry?.steps.length ?? 0;
      if (entry?.episode.status !== 'running' || step.index !== last + 1) {
        throw appendRefusal(step.episodeId, step.index, entry?.episode.status, last);
      }
      entry.steps.push(step);
      resolve();
    });
  }

  finishEpisode(id: string, status: FinalStatus, outcome: Outcome | null, usage: EpisodeUsage = {}): void {
    this.checkOpen();
    checkFinalStatus(id, status);
    const checked = outcome === null ? null : asStored(validate(OutcomeSchema, outcome, 'outcome'));
    const gpu = usage.gpu === undefined ? undefined : asStored(validate(GpuUseRecordSchema, usage.gpu, 'GPU use'));
    const entry = this.entries.get(id);
    if (entry?.episode.status !== 'running') throw finishRefusal(id, entry?.episode.status);
    const { gpu: _earlier, ...episode } = entry.episode;
    entry.episode = { ...episode, status, outcome: checked, endedAt: this.now(), ...(gpu !== undefined ? { gpu } : {}) };
  }

  getEpisode(id: string): EpisodeRecord | null {
    this.checkOpen();
    const entry = this.entries.get(id);
    return entry === undefined ? null : structuredClone(entry.episode);
  }

  listEpisodes(filter: EpisodeFilter = {}): EpisodeRecord[] {
    this.checkOpen();
    const matching = [...this.entries.values()]
      .filter((e) => filter.status === undefined || e.episode.status === filter.status)
      .sort((a, b) => b.episode.startedAt - a.episode.startedAt || b.seq - a.seq);
    // As SQLite's LIMIT: a negative limit is no limit.
    const limit = filter.limit ?? -1;
    return (limit < 0 ? matching : matching.slice(0, limit)).map((e) => structuredClone(e.episode));
  }

  steps(episodeId: string): StepRecord[] {
    this.checkOpen();
    return structuredClone(this.entries.get(episodeId)?.steps ?? []);
  }

  appendTurn(input: TurnRecordInput): Promise<void> {
    return new Promise((resolve) => {
      this.checkOpen();
      const turn = asStored(validate(TurnRecordSchema, input, 'turn'));
      const entry = this.entries.get(turn.episodeId);
      if (entry?.episode.status !== 'running' || entry.turns.has(turn.index)) throw turnRefusal(turn.episodeId, turn.index, entry?.episode.status);
      entry.turns.set(turn.index, turn);
      resolve();
    });
  }

  turns(episodeId: string): TurnRecord[] {
    this.checkOpen();
    const turns = [...(this.entries.get(episodeId)?.turns.values() ?? [])].sort((a, b) => a.index - b.index);
    return structuredClone(turns);
  }

  markRunningAsAborted(reason: string, liveSandboxIds: readonly string[] = []): string[] {
    this.checkOpen();
    const live = new Set(liveSandboxIds);
    const aborted: string[] = [];
    for (const entry of this.entries.values()) {
      const { episode, steps } = entry;
      if (episode.status !== 'running' || live.has(episode.sandboxId)) continue;
      const endedAt = steps.length === 0 ? episode.startedAt : steps.reduce((max, s) => Math.max(max, s.endedAt), 0);
      entry.episode = { ...episode, status: 'aborted', statusReason: reason, endedAt };
      aborted.push(episode.id);
    }
    return aborted.sort();
  }

  close(): void {
    this.closed = true;
    this.entries.clear();
  }

  private checkOpen(): void {
    if (this.closed) throw new PraetorError('internal', 'the episode store is closed');
  }
}

/**
 * A validated record as the SQLite store would give it back: through JSON, so undefined values in
 * free-form fields (tool arguments, sandbox options) drop out alike, and the copy shares nothing.
 */
function asStored<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

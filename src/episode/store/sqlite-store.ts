// The embedded episode store: SQLite through better-sqlite3, WAL with synchronous=FULL so each
// step is on disk when appendStep's promise resolves. Nested data is JSON, validated with zod on the
// way in and out.
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
// Static on purpose: better-sqlite3 loads its native addon in the Database constructor, not on
// import, so a checkout installed with --ignore-scripts can still use the memory store.
import Database from 'better-sqlite3';
import { errorMessage, PraetorError } from '../../core/errors.js';
import {
  EpisodeRecordSchema,
  GpuUseRecordSchema,
  OutcomeSchema,
  type EpisodeRecord,
  type EpisodeRecordInput,
  type FinalStatus,
  type Outcome,
  type StepRecord,
  type StepRecordInput,
} from '../episode-model.js';
import { TurnRecordSchema, type TurnRecord, type TurnRecordInput } from '../turn-record.js';
import type { EpisodeFilter, EpisodeStore, EpisodeStoreOptions, EpisodeUsage } from './episode-store.js';
import { StepBatch } from './step-batch.js';
import { episodeFromRow, gpuColumns, stepFromRow, turnFromRow, type EpisodeRow, type StepRow, type TurnRow } from './sqlite-rows.js';
import { SQLITE_MIGRATIONS } from './sqlite-schema.js';
import { appendRefusal, checkFinalStatus, duplicateEpisode, finishRefusal, turnRefusal, validate } from './store-rules.js';

/**
 * Opens (creating it and its folder if need be) and migrates a store; ':memory:' for a private one.
 * `nativeBinding` is better-sqlite3's option of that name, the path of its addon; tests point it at
 * a missing file.
 */
export function openSqliteStore(path: string, options: EpisodeStoreOptions = {}, nativeBinding?: string): EpisodeStore {
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:') makePrivate(path);
    db = new Database(path, nativeBinding === undefined ? {} : { nativeBinding });
    db.pragma('journal_mode = WAL');
    // FULL fsyncs the log on every commit: about 0.2 ms a step more than NORMAL on an ext4 disk
    // (0.41 against 0.21 ms), nothing beside a step's seconds, and NORMAL loses steps on power loss.
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    // A second connection (a listing CLI, a reader) waits for the writer instead of failing.
    db.pragma('busy_timeout = 5000');
    migrate(db, path);
    return new SqliteEpisodeStore(db, options);
  } catch (err) {
    db?.close();
    if (err instanceof PraetorError) throw err;
    if (isMissingAddon(err)) {
      throw new PraetorError(
        'host-unsupported',
        "the SQLite episode store needs better-sqlite3's native module, which is not built: run `npm rebuild better-sqlite3` (or use --store memory:)",
        { cause: err },
      );
    }
    throw new PraetorError('invalid-config', `cannot open episode store ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * A store holds every step and output of every agent: it is private to its owner. A new file is
 * created 0600 (in a folder created 0700) before SQLite opens it, and SQLite gives its -wal and -shm
 * files the database's mode; a store an older praetor left readable to others is tightened.
 */
function makePrivate(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    let stats;
    try {
      stats = statSync(file);
    } catch {
      continue; // no -wal or -shm yet
    }
    // Only our own files: a store someone else shared with us keeps the mode its owner chose.
    if ((stats.mode & 0o077) !== 0 && stats.uid === process.getuid?.()) chmodSync(file, stats.mode & 0o700);
  }
}

/**
 * The errors of a checkout installed with --ignore-scripts (`bindings` finds no build, or a
 * nativeBinding path names no file), and of an addon that fails to load; npm rebuild fixes each.
 */
export function isMissingAddon(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'MODULE_NOT_FOUND' || err.message.includes('Could not locate the bindings file') || err.message.includes('better_sqlite3.node');
}

/**
 * Applies the migrations past PRAGMA user_version, bumping it in the same transaction. IMMEDIATE
 * takes the write lock before reading the version, so two processes opening a new file do not both migrate.
 */
function migrate(db: Database.Database, path: string): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SQLITE_MIGRATIONS.length) {
      throw new PraetorError(
        'invalid-config',
        `episode store ${path} has schema version ${version}; this praetor knows up to ${SQLITE_MIGRATIONS.length} (written by a newer praetor?)`,
      );
    }
    SQLITE_MIGRATIONS.slice(version).forEach((sql) => db.exec(sql));
    db.pragma(`user_version = ${SQLITE_MIGRATIONS.length}`);
  }).immediate();
}

class SqliteEpisodeStore implements EpisodeStore {
  private readonly insertEpisode: Database.Statement;
  private readonly insertStep: Database.Statement;
  private readonly finish: Database.Statement;
  private readonly selectEpisode: Database.Statement<[string], EpisodeRow>;
  private readonly selectAll: Database.Statement<[number], EpisodeRow>;
  private readonly selectByStatus: Database.Statement<[string, number], EpisodeRow>;
  private readonly selectSteps: Database.Statement<[string], StepRow>;
  private readonly lastIndex: Database.Statement<[string], { last: number | null }>;
  private readonly abortRunning: Database.Statement<[string, string], { id: string }>;
  private readonly insertTurn: Database.Statement;
  private readonly selectTurns: Database.Statement<[string], TurnRow>;
  private readonly onCorruptRow: (message: string) => void;
  private readonly now: () => number;
  private readonly batch = new StepBatch(() => this.commitPending());

  constructor(
    private readonly db: Database.Database,
    options: EpisodeStoreOptions,
  ) {
    this.onCorruptRow = options.onCorruptRow ?? ((m) => process.emitWarning(m, 'PraetorEpisodeStoreWarning'));
    this.now = options.now ?? Date.now;
    this.insertEpisode = db.prepare(
      `INSERT INTO episodes (id, task_id, sandbox_id, policy, status, status_reason, started_at, ended_at, task, outcome, messages, tools,
                             gpu_seconds, gpu_peak_memory_bytes)
       VALUES (@id, @task_id, @sandbox_id, @policy, @status, @status_reason, @started_at, @ended_at, @task, @outcome, @messages, @tools,
               @gpu_seconds, @gpu_peak_memory_bytes)`,
    );
    // One statement checks and writes: the episode must be running and the index must follow the last.
    this.insertStep = db.prepare(
      `INSERT INTO steps (episode_id, idx, turn, started_at, ended_at, message, action, observation, sandbox_steps, resources,
                          alerts, tokens, model_request_id, model_response_id, policy, gpu_seconds, gpu_peak_memory_bytes)
       SELECT @episode_id, @idx, @turn, @started_at, @ended_at, @message, @action, @observation, @sandbox_steps, @resources,
              @alerts, @tokens, @model_request_id, @model_response_id, @policy, @gpu_seconds, @gpu_peak_memory_bytes
       WHERE EXISTS (SELECT 1 FROM episodes WHERE id = @episode_id AND status = 'running')
         AND (SELECT COALESCE(MAX(idx), 0) FROM steps WHERE episode_id = @episode_id) = @idx - 1`,
    );
    this.finish = db.prepare(
      `UPDATE episodes SET status = @status, outcome = @outcome, ended_at = @ended_at, gpu_seconds = @gpu_seconds, gpu_peak_memory_bytes = @gpu_peak_memory_bytes
       WHERE id = @id AND status = 'running'`,
    );
    this.selectEpisode = db.prepare('SELECT * FROM episodes WHERE id = ?');
    this.selectAll = db.prepare('SELECT * FROM episodes ORDER BY started_at DESC, rowid DESC LIMIT ?');
    this.selectByStatus = db.prepare('SELECT * FROM episodes WHERE status = ? ORDER BY started_at DESC, rowid DESC LIMIT ?');
    this.selectSteps = db.prepare('SELECT * FROM steps WHERE episode_id = ? ORDER BY idx');
    this.lastIndex = db.prepare('SELECT MAX(idx) AS last FROM steps WHERE episode_id = ?');
    this.insertTurn = db.prepare(
      `INSERT OR IGNORE INTO turns (episode_id, idx, record)
       SELECT @episode_id, @idx, @record WHERE EXISTS (SELECT 1 FROM episodes WHERE id = @episode_id AND status = 'running')`,
    );
    this.selectTurns = db.prepare('SELECT * FROM turns WHERE episode_id = ? ORDER BY idx');
    this.abortRunning = db.prepare(
      `UPDATE episodes SET status = 'aborted', status_reason = ?,
         ended_at = COALESCE((SELECT MAX(ended_at) FROM steps WHERE episode_id = episodes.id), started_at)
       WHERE status = 'running' AND sandbox_id NOT IN (SELECT value FROM json_each(?)) RETURNING id`,
    );
  }

  createEpisode(input: EpisodeRecordInput): void {
    this.commitPending();
    const e = validate(EpisodeRecordSchema, input, 'episode');
    if (this.selectEpisode.get(e.id) !== undefined) throw duplicateEpisode(e.id);
    this.insertEpisode.run({
      id: e.id,
      task_id: e.taskId,
      sandbox_id: e.sandboxId,
      policy: e.policy,
      status: e.status,
      status_reason: e.statusReason ?? null,
      started_at: e.startedAt,
      ended_at: e.endedAt,
      task: JSON.stringify(e.task),
      outcome: json(e.outcome),
      messages: json(e.messages),
      tools: json(e.tools),
      ...gpuParams(e.gpu),
    });
  }

  /**
   * Group commit: the step is validated at once and queued; every step queued in the same turn of
   * the event loop goes into one transaction, so sixteen episodes stepping together pay for one
   * sync of the log, not sixteen. Each promise settles after that commit: resolved when its step
   * is on disk, rejected when the step was refused (the others in the batch still commit).
   * better-sqlite3 is synchronous and SQLite has no group commit of its own, hence this queue.
   */
  appendStep(input: StepRecordInput): Promise<void> {
    return this.batch.add(input);
  }

  /** Commits what is queued; every other method calls it first, so each sees every step appended before it. */
  private commitPending(): void {
    const batch = this.batch.take();
    if (batch.length === 0) return;
    let refusals: (PraetorError | null)[];
    try {
      refusals = this.db.transaction(() => batch.map((p) => this.insert(p.step)))();
    } catch (err) {
      const failure = new PraetorError('internal', `could not store ${batch.length} step(s): ${errorMessage(err)}`, { cause: err });
      for (const p of batch) p.reject(failure);
      return;
    }
    batch.forEach((p, i) => {
      const refusal = refusals[i];
      if (refusal) p.reject(refusal);
      else p.resolve();
    });
  }

  /** Inserts one step; the refusal (an ended episode, a gap) when it can not be. */
  private insert(s: StepRecord): PraetorError | null {
    const result = this.insertStep.run({
      episode_id: s.episodeId,
      idx: s.index,
      turn: s.turn ?? null,
      started_at: s.startedAt,
      ended_at: s.endedAt,
      message: s.message ?? null,
      action: json(s.action),
      observation: json(s.observation),
      sandbox_steps: JSON.stringify(s.sandboxSteps),
      resources: json(s.resources),
      alerts: JSON.stringify(s.alerts),
      tokens: json(s.tokens),
      model_request_id: s.modelRequestId ?? null,
      model_response_id: s.modelResponseId ?? null,
      policy: s.policy.length > 0 ? JSON.stringify(s.policy) : null,
      ...gpuParams(s.gpu),
    });
    if (result.changes === 1) return null;
    const status = this.selectEpisode.get(s.episodeId)?.status;
    return appendRefusal(s.episodeId, s.index, status, this.lastIndex.get(s.episodeId)?.last ?? 0);
  }

  finishEpisode(id: string, status: FinalStatus, outcome: Outcome | null, usage: EpisodeUsage = {}): void {
    this.commitPending();
    checkFinalStatus(id, status);
    const checked = outcome === null ? null : validate(OutcomeSchema, outcome, 'outcome');
    const gpu = usage.gpu === undefined ? undefined : validate(GpuUseRecordSchema, usage.gpu, 'GPU use');
    const result = this.finish.run({ id, status, outcome: json(checked), ended_at: this.now(), ...gpuParams(gpu) });
    if (result.changes === 1) return;
    throw finishRefusal(id, this.selectEpisode.get(id)?.status);
  }

  getEpisode(id: string): EpisodeRecord | null {
    this.commitPending();
    const row = this.selectEpisode.get(id);
    if (row === undefined) return null;
    const read = episodeFromRow(row);
    if ('error' in read) throw new PraetorError('internal', read.error);
    return read.episode;
  }

  listEpisodes(filter: EpisodeFilter = {}): EpisodeRecord[] {
    this.commitPending();
    const limit = filter.limit ?? -1;
    const rows = filter.status === undefined ? this.selectAll.all(limit) : this.selectByStatus.all(filter.status, limit);
    const out: EpisodeRecord[] = [];
    for (const row of rows) {
      const read = episodeFromRow(row);
      if ('error' in read) this.onCorruptRow(read.error);
      else out.push(read.episode);
    }
    return out;
  }

  steps(episodeId: string): StepRecord[] {
    this.commitPending();
    return this.selectSteps.all(episodeId).map((row) => {
      const read = stepFromRow(row);
      if ('error' in read) throw new PraetorError('internal', read.error);
      return read.step;
    });
  }

  appendTurn(input: TurnRecordInput): Promise<void> {
    return new Promise((resolve) => {
      this.commitPending();
      const turn = validate(TurnRecordSchema, input, 'turn');
      const result = this.insertTurn.run({ episode_id: turn.episodeId, idx: turn.index, record: JSON.stringify(turn) });
      if (result.changes !== 1) throw turnRefusal(turn.episodeId, turn.index, this.selectEpisode.get(turn.episodeId)?.status);
      resolve();
    });
  }

  turns(episodeId: string): TurnRecord[] {
    this.commitPending();
    return this.selectTurns.all(episodeId).map((row) => {
      const read = turnFromRow(row);
      if ('error' in read) throw new PraetorError('internal', read.error);
      return read.turn;
    });
  }

  markRunningAsAborted(reason: string, liveSandboxIds: readonly string[] = []): string[] {
    this.commitPending();
    return this.abortRunning
      .all(reason, JSON.stringify(liveSandboxIds))
      .map((r) => r.id)
      .sort();
  }

  close(): void {
    this.commitPending();
    this.db.close();
  }
}

function gpuParams(gpu: StepRecord['gpu']): { gpu_seconds: number | null; gpu_peak_memory_bytes: number | null } {
  const [seconds, peak] = gpuColumns(gpu);
  return { gpu_seconds: seconds, gpu_peak_memory_bytes: peak };
}

function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

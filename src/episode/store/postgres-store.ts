// The PostgreSQL episode store, for many praetors sharing one database (a fleet). Steps queued in
// the same turn of the event loop commit in one transaction (group commit, as the SQLite store);
// the promise resolves once PostgreSQL has committed them, i.e. durable (synchronous_commit on).
// Every call goes through one ordered connection in a worker (postgres-bridge.ts), so a read sees
// every append made before it; the interface's synchronous calls block for one round trip.
// Many writers at once: each insert checks, in the same statement, that the episode runs and the
// index follows the last stored one, and the primary key (episode, index) refuses a second writer
// of the same step; a refused step is reported, never silently dropped or reordered.
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
import { PostgresBridge, type BridgeStatement } from './postgres-bridge.js';
import { migrationStatements } from './postgres-migrate.js';
import { POSTGRES_MIGRATIONS } from './postgres-schema.js';
import { parsePostgresUrl } from './postgres-url.js';
import { episodeFromRow, gpuColumns, stepFromRow, turnFromRow, type EpisodeRow, type StepRow, type TurnRow } from './sqlite-rows.js';
import { appendRefusal, checkFinalStatus, duplicateEpisode, finishRefusal, turnRefusal, validate } from './store-rules.js';

const EPISODE_COLUMNS = 'id, task_id, sandbox_id, policy, status, status_reason, started_at, ended_at, task, outcome, messages, tools, gpu_seconds, gpu_peak_memory_bytes';

const INSERT_STEP = `INSERT INTO steps (episode_id, idx, turn, started_at, ended_at, message, action, observation, sandbox_steps,
                                      resources, alerts, tokens, model_request_id, model_response_id, policy, gpu_seconds, gpu_peak_memory_bytes)
  SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17
  WHERE EXISTS (SELECT 1 FROM episodes WHERE id = $1 AND status = 'running')
    AND (SELECT COALESCE(MAX(idx), 0) FROM steps WHERE episode_id = $1) = $2 - 1
  ON CONFLICT (episode_id, idx) DO NOTHING`;

/** The statements that abort the running episodes of `owner` (one SQL text, shared with the fleet). */
export function abortRunningStatement(owner: string, reason: string, liveSandboxIds: readonly string[]): BridgeStatement {
  return {
    sql: `UPDATE episodes SET status = 'aborted', status_reason = $1,
            ended_at = COALESCE((SELECT MAX(ended_at) FROM steps WHERE episode_id = episodes.id), started_at)
          WHERE status = 'running' AND owner = $2 AND NOT (sandbox_id = ANY($3::text[])) RETURNING id`,
    params: [reason, owner, liveSandboxIds],
  };
}

/** Opens and migrates the store at a postgres:// URL; `owner` in options names this praetor. */
export function openPostgresStore(url: string, options: EpisodeStoreOptions = {}): EpisodeStore {
  const target = parsePostgresUrl(url);
  const bridge = new PostgresBridge(target);
  try {
    bridge.runSync(migrationStatements('episodes', POSTGRES_MIGRATIONS));
  } catch (err) {
    bridge.close();
    throw new PraetorError('invalid-config', `cannot open episode store ${target.shown}: ${errorMessage(err)}`, { cause: err });
  }
  return new PostgresEpisodeStore(bridge, options);
}

class PostgresEpisodeStore implements EpisodeStore {
  private readonly onCorruptRow: (message: string) => void;
  private readonly now: () => number;
  private readonly owner: string;
  private readonly batch = new StepBatch(() => this.sendPending());

  constructor(
    private readonly db: PostgresBridge,
    options: EpisodeStoreOptions,
  ) {
    this.onCorruptRow = options.onCorruptRow ?? ((m) => process.emitWarning(m, 'PraetorEpisodeStoreWarning'));
    this.now = options.now ?? Date.now;
    this.owner = options.owner ?? '';
  }

  createEpisode(input: EpisodeRecordInput): void {
    this.sendPending();
    const e = validate(EpisodeRecordSchema, input, 'episode');
    const [result] = this.db.runSync([
      {
        sql: `INSERT INTO episodes (owner, ${EPISODE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
              ON CONFLICT (id) DO NOTHING`,
        params: [this.owner, e.id, e.taskId, e.sandboxId, e.policy, e.status, e.statusReason ?? null, e.startedAt, e.endedAt, JSON.stringify(e.task), json(e.outcome), json(e.messages), json(e.tools), ...gpuColumns(e.gpu)],
      },
    ]);
    if (result?.count !== 1) throw duplicateEpisode(e.id);
  }

  /** Group commit: steps queued in one turn of the event loop go to PostgreSQL as one transaction. */
  appendStep(input: StepRecordInput): Promise<void> {
    return this.batch.add(input);
  }

  /** Sends what is queued; every other call sends it first, and the ordered channel makes it visible to them. */
  private sendPending(): void {
    const batch = this.batch.take();
    if (batch.length === 0) return;
    this.db.run(batch.map((p) => ({ sql: INSERT_STEP, params: stepParams(p.step) }))).then(
      (results) => {
        batch.forEach((p, i) => {
          if (results[i]?.count === 1) p.resolve();
          else p.reject(this.refusal(p.step));
        });
      },
      (err: unknown) => {
        const failure = new PraetorError('internal', `could not store ${batch.length} step(s): ${errorMessage(err)}`, { cause: err });
        for (const p of batch) p.reject(failure);
      },
    );
  }

  private refusal(s: StepRecord): PraetorError {
    try {
      const [row] = this.db.querySync(
        'SELECT (SELECT status FROM episodes WHERE id = $1) AS status, (SELECT COALESCE(MAX(idx), 0) FROM steps WHERE episode_id = $1) AS last',
        [s.episodeId],
      );
      return appendRefusal(s.episodeId, s.index, (row?.status as string | null) ?? undefined, Number(row?.last ?? 0));
    } catch (err) {
      return new PraetorError('internal', `step ${s.index} of episode ${s.episodeId} was refused: ${errorMessage(err)}`);
    }
  }

  finishEpisode(id: string, status: FinalStatus, outcome: Outcome | null, usage: EpisodeUsage = {}): void {
    this.sendPending();
    checkFinalStatus(id, status);
    const checked = outcome === null ? null : validate(OutcomeSchema, outcome, 'outcome');
    const gpu = gpuColumns(usage.gpu === undefined ? undefined : validate(GpuUseRecordSchema, usage.gpu, 'GPU use'));
    const [done, current] = this.db.runSync([
      {
        sql: `UPDATE episodes SET status = $1, outcome = $2, ended_at = $3, gpu_seconds = $5, gpu_peak_memory_bytes = $6 WHERE id = $4 AND status = 'running'`,
        params: [status, json(checked), this.now(), id, ...gpu],
      },
      { sql: 'SELECT status FROM episodes WHERE id = $1', params: [id] },
    ]);
    if (done?.count === 1) return;
    throw finishRefusal(id, current?.rows[0]?.status as string | undefined);
  }

  getEpisode(id: string): EpisodeRecord | null {
    this.sendPending();
    const row = this.db.querySync(`SELECT ${EPISODE_COLUMNS} FROM episodes WHERE id = $1`, [id])[0];
    if (row === undefined) return null;
    const read = episodeFromRow(row as unknown as EpisodeRow);
    if ('error' in read) throw new PraetorError('internal', read.error);
    return read.episode;
  }

  listEpisodes(filter: EpisodeFilter = {}): EpisodeRecord[] {
    this.sendPending();
    const limit = filter.limit ?? null;
    const rows =
      filter.status === undefined
        ? this.db.querySync(`SELECT ${EPISODE_COLUMNS} FROM episodes ORDER BY started_at DESC, seq DESC LIMIT $1`, [limit])
        : this.db.querySync(`SELECT ${EPISODE_COLUMNS} FROM episodes WHERE status = $1 ORDER BY started_at DESC, seq DESC LIMIT $2`, [filter.status, limit]);
    const out: EpisodeRecord[] = [];
    for (const row of rows) {
      const read = episodeFromRow(row as unknown as EpisodeRow);
      if ('error' in read) this.onCorruptRow(read.error);
      else out.push(read.episode);
    }
    return out;
  }

  steps(episodeId: string): StepRecord[] {
    this.sendPending();
    return this.db.querySync('SELECT * FROM steps WHERE episode_id = $1 ORDER BY idx', [episodeId]).map((row) => {
      const read = stepFromRow(row as unknown as StepRow);
      if ('error' in read) throw new PraetorError('internal', read.error);
      return read.step;
    });
  }

  appendTurn(input: TurnRecordInput): Promise<void> {
    return new Promise((resolve) => {
      this.sendPending();
      const turn = validate(TurnRecordSchema, input, 'turn');
      const [result, current] = this.db.runSync([
        {
          sql: `INSERT INTO turns (episode_id, idx, record) SELECT $1, $2, $3
                WHERE EXISTS (SELECT 1 FROM episodes WHERE id = $1 AND status = 'running') ON CONFLICT DO NOTHING`,
          params: [turn.episodeId, turn.index, JSON.stringify(turn)],
        },
        { sql: 'SELECT status FROM episodes WHERE id = $1', params: [turn.episodeId] },
      ]);
      if (result?.count !== 1) throw turnRefusal(turn.episodeId, turn.index, current?.rows[0]?.status as string | undefined);
      resolve();
    });
  }

  turns(episodeId: string): TurnRecord[] {
    this.sendPending();
    return this.db.querySync('SELECT * FROM turns WHERE episode_id = $1 ORDER BY idx', [episodeId]).map((row) => {
      const read = turnFromRow(row as unknown as TurnRow);
      if ('error' in read) throw new PraetorError('internal', read.error);
      return read.turn;
    });
  }

  /** Only this praetor's episodes (its `owner`): the others' belong to live praetors or to the fleet's sweeper. */
  markRunningAsAborted(reason: string, liveSandboxIds: readonly string[] = []): string[] {
    this.sendPending();
    const [result] = this.db.runSync([abortRunningStatement(this.owner, reason, liveSandboxIds)]);
    return (result?.rows ?? []).map((r) => String(r.id)).sort();
  }

  close(): void {
    this.sendPending();
    // the close request queues behind the steps just sent, so they commit first
    this.db.close();
  }
}

function stepParams(s: StepRecord): unknown[] {
  return [
    s.episodeId,
    s.index,
    s.turn ?? null,
    s.startedAt,
    s.endedAt,
    s.message ?? null,
    json(s.action),
    json(s.observation),
    JSON.stringify(s.sandboxSteps),
    json(s.resources),
    JSON.stringify(s.alerts),
    json(s.tokens),
    s.modelRequestId ?? null,
    s.modelResponseId ?? null,
    s.policy.length > 0 ? JSON.stringify(s.policy) : null,
    ...gpuColumns(s.gpu),
  ];
}

function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

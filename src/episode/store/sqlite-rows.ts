// Rows of the SQLite store and their way back into records: JSON columns parsed, the result
// validated with zod, and a corrupt row turned into one `where is corrupt: path: message` line.
import type { z } from 'zod';
import { formatIssues } from '../../core/schema-issues.js';
import { EpisodeRecordSchema, StepRecordSchema, type EpisodeRecord, type StepRecord } from '../episode-model.js';
import { TurnRecordSchema, type TurnRecord } from '../turn-record.js';

export interface EpisodeRow {
  id: string;
  task_id: string;
  sandbox_id: string;
  policy: string;
  status: string;
  status_reason: string | null;
  started_at: number;
  ended_at: number | null;
  task: string;
  outcome: string | null;
  messages: string | null;
  tools: string | null;
  /** Since migration 4 (SQLite) / 2 (PostgreSQL). */
  gpu_seconds?: number | null;
  gpu_peak_memory_bytes?: number | null;
}

export interface StepRow {
  episode_id: string;
  idx: number;
  turn: string | null;
  started_at: number;
  ended_at: number;
  message: string | null;
  action: string | null;
  observation: string | null;
  sandbox_steps: string;
  resources: string | null;
  alerts: string;
  tokens: string | null;
  model_request_id: string | null;
  model_response_id: string | null;
  policy: string | null;
  gpu_seconds?: number | null;
  gpu_peak_memory_bytes?: number | null;
}

/** The two GPU columns as a record's `gpu` (absent when the row has none). */
function gpuOf(row: { gpu_seconds?: number | null; gpu_peak_memory_bytes?: number | null }): object {
  const seconds = row.gpu_seconds ?? null;
  const peak = row.gpu_peak_memory_bytes ?? null;
  return seconds === null && peak === null ? {} : { gpu: { gpuSeconds: seconds, peakMemoryBytes: peak } };
}

/** A record's `gpu` as the two columns' values. */
export function gpuColumns(gpu: { gpuSeconds: number; peakMemoryBytes: number } | undefined): [number | null, number | null] {
  return gpu === undefined ? [null, null] : [gpu.gpuSeconds, gpu.peakMemoryBytes];
}

/** Parses a JSON column; a column that is not JSON is reported by name. */
function column(name: string, text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CorruptColumn(`${name}: not valid JSON`);
  }
}

class CorruptColumn extends Error {}

function readRow<T>(where: string, build: () => unknown, schema: z.ZodType<T>): { value: T } | { error: string } {
  try {
    const parsed = schema.safeParse(build());
    if (parsed.success) return { value: parsed.data };
    return { error: `${where} is corrupt: ${formatIssues(parsed.error.issues).join('; ')}` };
  } catch (err) {
    if (err instanceof CorruptColumn) return { error: `${where} is corrupt: ${err.message}` };
    throw err;
  }
}

export function episodeFromRow(row: EpisodeRow): { episode: EpisodeRecord } | { error: string } {
  const read = readRow(
    `episode ${row.id}`,
    () => ({
      id: row.id,
      taskId: row.task_id,
      task: column('task', row.task),
      sandboxId: row.sandbox_id,
      policy: row.policy,
      status: row.status,
      ...(row.status_reason !== null && { statusReason: row.status_reason }),
      startedAt: row.started_at,
      endedAt: row.ended_at,
      outcome: column('outcome', row.outcome),
      ...(row.messages !== null && { messages: column('messages', row.messages) }),
      ...(row.tools !== null && { tools: column('tools', row.tools) }),
      ...gpuOf(row),
    }),
    EpisodeRecordSchema,
  );
  return 'error' in read ? read : { episode: read.value };
}

export function stepFromRow(row: StepRow): { step: StepRecord } | { error: string } {
  const optional = (key: string, value: unknown): object => (value === null ? {} : { [key]: value });
  const read = readRow(
    `step ${row.idx} of episode ${row.episode_id}`,
    () => ({
      episodeId: row.episode_id,
      index: row.idx,
      ...optional('turn', row.turn),
      ...optional('action', column('action', row.action)),
      ...optional('message', row.message),
      observation: column('observation', row.observation),
      startedAt: row.started_at,
      endedAt: row.ended_at,
      sandboxSteps: column('sandbox_steps', row.sandbox_steps),
      ...optional('resources', column('resources', row.resources)),
      alerts: column('alerts', row.alerts),
      ...optional('tokens', column('tokens', row.tokens)),
      ...optional('modelRequestId', row.model_request_id),
      ...optional('modelResponseId', row.model_response_id),
      ...optional('policy', column('policy', row.policy)),
      ...gpuOf(row),
    }),
    StepRecordSchema,
  );
  return 'error' in read ? read : { step: read.value };
}

export interface TurnRow {
  episode_id: string;
  idx: number;
  record: string;
}

export function turnFromRow(row: TurnRow): { turn: TurnRecord } | { error: string } {
  const read = readRow(`turn ${row.idx} of episode ${row.episode_id}`, () => column('record', row.record), TurnRecordSchema);
  return 'error' in read ? read : { turn: read.value };
}

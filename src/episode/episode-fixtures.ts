// Builders of episodes, steps and alerts for tests and the store conformance suite: every field
// filled with a plausible default (task-1, a fixed epoch), so a test states only what it is about.
import {
  EpisodeRecordSchema,
  StepRecordSchema,
  TaskSchema,
  type AlertRecord,
  type EpisodeRecord,
  type EpisodeRecordInput,
  type StepRecord,
  type StepRecordInput,
  type TaskInput,
} from './episode-model.js';
import { TurnRecordSchema, type TurnRecord, type TurnRecordInput } from './turn-record.js';

export const T0 = 1_700_000_000_000;

export function makeEpisode(o: Partial<EpisodeRecordInput> & { task?: TaskInput } = {}): EpisodeRecord {
  const task = TaskSchema.parse(o.task ?? { id: 'task-1', instruction: 'make the failing test pass', verifier: 'npm test' });
  return EpisodeRecordSchema.parse({
    id: 'ep-1',
    taskId: task.id,
    sandboxId: 'sb-1',
    policy: 'scripted:file',
    status: 'running',
    startedAt: T0,
    endedAt: null,
    outcome: null,
    messages: [
      { role: 'system', content: 'You are a coding agent.' },
      { role: 'user', content: task.instruction },
    ],
    ...o,
    task,
  });
}

/** A shell tool call that ran as sandbox step `index`. */
export function toolStep(episodeId: string, index: number, o: Partial<StepRecordInput> = {}): StepRecord {
  return StepRecordSchema.parse({
    episodeId,
    index,
    turn: `turn-${index}`,
    action: { id: `call-${index}`, name: 'bash', arguments: { command: `echo step ${index}` } },
    observation: { content: `step ${index}\n`, isError: false, denied: false },
    startedAt: T0 + index * 1000,
    endedAt: T0 + index * 1000 + 500,
    sandboxSteps: [index],
    ...o,
  });
}

/** Assistant text with no tool call: what an agent's final answer looks like. */
export function messageStep(episodeId: string, index: number, text: string, o: Partial<StepRecordInput> = {}): StepRecord {
  return StepRecordSchema.parse({
    episodeId,
    index,
    message: text,
    observation: null,
    startedAt: T0 + index * 1000,
    endedAt: T0 + index * 1000 + 100,
    ...o,
  });
}

export function makeAlert(o: Partial<AlertRecord> = {}): AlertRecord {
  return {
    id: 'miner-argv:1',
    ruleId: 'miner-argv',
    technique: 'T1496',
    severity: 'high',
    step: 1,
    turn: null,
    sandboxStep: 1,
    pid: 4242,
    time: T0 + 1200,
    description: 'a cryptominer started',
    ...o,
  };
}

/** A chat-completions turn of an agent-native episode: one bash call answering a user message. */
export function makeTurn(episodeId: string, index: number, o: Partial<TurnRecordInput> = {}): TurnRecord {
  return TurnRecordSchema.parse({
    episodeId,
    id: `turn-${index}`,
    index,
    api: 'chat-completions',
    model: 'm',
    stream: false,
    requestedAt: T0 + index * 1000,
    respondedAt: T0 + index * 1000 + 200,
    request: { messages: [{ role: 'user', content: 'list the files' }], tools: [{ type: 'function', function: { name: 'bash' } }] },
    response: { role: 'assistant', content: null, tool_calls: [{ id: `call-${index}`, type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } }] },
    ...o,
  });
}

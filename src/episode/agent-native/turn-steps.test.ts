import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Alert } from '../../detect/alert.js';
import type { Turn } from '../../agent/gateway/gateway-wire.js';
import { StepRecordSchema } from '../episode-model.js';
import { alertsOfTurn, turnSteps } from './turn-steps.js';

function turn(index: number, response: Turn['response'], respondedAt = index * 1000): Turn {
  return { id: `turn-${index}`, sandboxId: 'sb-a', index, requestedAt: respondedAt - 10, respondedAt, api: 'chat-completions', model: null, stream: false, request: { messages: [], tools: [] }, response };
}

function call(id: string, args: string) {
  return { id, type: 'function' as const, function: { name: 'bash', arguments: args } };
}

function alert(id: string, time: number, step: number | null = 7): Alert {
  return { id, ruleId: 'r', title: 't', technique: 'T1046', severity: 'high', time, sandboxId: 'sb-a', step, pid: null, argv: null, evidence: [], latencyMs: 0, description: 'd' };
}

const ctx = { episodeId: 'ep-1', firstIndex: 4, endedAt: 9000, alerts: [], sandboxSteps: [7] };

describe('turnSteps', () => {
  it('makes one step per tool call, sharing the turn id, each with the result the agent sent back', () => {
    const t = { ...turn(2, { role: 'assistant', content: null, tool_calls: [call('c1', '{"command":"ls"}'), call('c2', 'not json')] }), usage: { prompt: 5, completion: 2 } };
    const next = { requestedAt: 2500, messages: [{ role: 'tool' as const, tool_call_id: 'c1', content: [{ type: 'text', text: 'a.txt' }] }] };
    const steps = turnSteps(t, { ...ctx, next, alerts: [alert('x', 2100)] });
    for (const s of steps) StepRecordSchema.parse(s);
    assert.deepEqual(steps.map((s) => [s.index, s.turn, s.action?.id]), [[4, 'turn-2', 'c1'], [5, 'turn-2', 'c2']]);
    assert.deepEqual(steps[0]?.action?.arguments, { command: 'ls' });
    assert.deepEqual(steps[1]?.action?.arguments, { raw: 'not json' }, 'unparseable arguments are kept verbatim');
    assert.deepEqual(steps[0]?.observation, { content: 'a.txt', isError: false, denied: false });
    assert.equal(steps[1]?.observation?.isError, true, 'a call the agent did not report');
    assert.deepEqual(steps.map((s) => s.alerts.length), [1, 0], 'alerts and tokens once per turn');
    assert.deepEqual(steps.map((s) => s.tokens), [{ prompt: 5, completion: 2 }, undefined]);
    assert.deepEqual([steps[0]?.startedAt, steps[0]?.endedAt], [2000, 2500]);
  });

  it('makes a message step for a text answer, and nothing for a failed turn', () => {
    const steps = turnSteps(turn(3, { role: 'assistant', content: 'done', tool_calls: [] }), { ...ctx, next: null });
    assert.equal(steps.length, 1);
    assert.equal(steps[0]?.message, 'done');
    assert.equal(steps[0]?.observation, null);
    assert.equal(steps[0]?.endedAt, 9000);
    assert.deepEqual(turnSteps({ ...turn(4, null), error: 'boom' }, { ...ctx, next: null }), []);
  });

  it('a last turn with calls and no next request says so in its observation', () => {
    const [step] = turnSteps(turn(1, { role: 'assistant', content: null, tool_calls: [call('c1', '{}')] }), { ...ctx, next: null });
    assert.match(step?.observation?.content ?? '', /no further model request/);
  });
});

describe('alertsOfTurn', () => {
  it("takes alerts raised since the turn's response, from the agent's step, not already taken", () => {
    const alerts = [alert('before', 999), alert('at', 1000), alert('after', 1500), alert('taken', 1600), alert('verifier', 1700, 9), alert('no-step', 1800, null)];
    const got = alertsOfTurn(alerts, { respondedAt: 1000 }, new Set(['taken']), 7);
    assert.deepEqual(got.map((a) => a.id), ['at', 'after', 'no-step']);
  });
});

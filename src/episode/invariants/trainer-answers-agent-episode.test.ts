// The trainer answers an agent-native episode (root; never skipped): an agent inside a guarded
// sandbox asks the gateway for each model turn; nothing answers but a trainer client that takes
// each request from the queue's HTTP routes (as the service mounts them) and answers it. The
// episode completes, the verifier passes, and every turn is stored with what the trainer said.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { Hono } from 'hono';
import { GATEWAY_HOST, ModelGateway, gatewayUpstream } from '../../agent/gateway/model-gateway.js';
import { TrainerQueue } from '../../agent/gateway/trainer-queue.js';
import { trainerRoutes } from '../../agent/gateway/trainer-routes.js';
import type { TrainerRequest } from '../../agent/gateway/gateway-responder.js';
import { Guard } from '../../guard/guard.js';
import { LocalBackend } from '../../sandbox/local/local-backend.js';
import { StaticResolver } from '../../sandbox/network/resolver.js';
import { MINI_AGENT_COMMAND, MINI_AGENT_PATH, MINI_AGENT_SCRIPT } from '../../testing/mini-agent.js';
import { TaskSchema } from '../episode-model.js';
import { runAgentNativeEpisode } from '../agent-native/agent-native-runner.js';
import type { EpisodeStore } from '../store/episode-store.js';
import { openEpisodeStore } from '../store/open-store.js';

let queue: TrainerQueue;
let gateway: ModelGateway;
let guard: Guard;
let backend: LocalBackend;
let store: EpisodeStore;
let service: Hono;

before(async () => {
  if (process.getuid?.() !== 0) throw new Error('agent-native tests need root (CI runs as root)');
  queue = new TrainerQueue();
  gateway = new ModelGateway({ upstream: queue });
  const { port } = await gateway.listen();
  // What the service does: the queue's routes under its own prefix.
  service = new Hono().route('/v1/trainer', trainerRoutes(queue));
  guard = new Guard({ policy: { mode: 'monitor' } });
  await guard.start();
  backend = new LocalBackend({ resolver: new StaticResolver({ [GATEWAY_HOST]: gatewayUpstream(port) }), observer: guard });
  store = openEpisodeStore('sqlite::memory:');
});

after(async () => {
  queue?.close();
  await backend?.close();
  await guard?.stop();
  await gateway?.close();
  store?.close();
});

/** The trainer: takes each request over HTTP and answers with the next of its decisions. */
async function trainer(answers: readonly object[]): Promise<TrainerRequest[]> {
  const seen: TrainerRequest[] = [];
  for (const answer of answers) {
    const taken = await service.request('/v1/trainer/requests/take?waitMs=60000', { method: 'POST' });
    assert.equal(taken.status, 200, 'a request came');
    const { request } = (await taken.json()) as { request: TrainerRequest };
    seen.push(request);
    const res = await service.request(`/v1/trainer/requests/${request.id}/answer`, { method: 'POST', body: JSON.stringify(answer), headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 204);
  }
  return seen;
}

it('a trainer client answers every model request of an agent in a sandbox; the episode completes and its turns are stored', async () => {
  const task = TaskSchema.parse({ id: 'greet', instruction: 'Write hello into greeting.txt.', verifier: 'grep -qx hello greeting.txt' });
  const answers = [
    { tool_calls: [{ function: { name: 'bash', arguments: '{"command":"echo hello > greeting.txt"}' } }], usage: { prompt: 50, completion: 9 }, tokens: { promptIds: [11, 12], completionIds: [21, 22, 23] } },
    { content: 'greeting.txt now says hello.', usage: { prompt: 70, completion: 6 } },
  ];
  const served = trainer(answers);
  const result = await runAgentNativeEpisode({ task, agentCommand: MINI_AGENT_COMMAND, files: { [MINI_AGENT_PATH]: MINI_AGENT_SCRIPT }, backend, guard, store, gateway, timeoutMs: 120_000 });
  const seen = await served;
  const { episode } = result;
  const detail = JSON.stringify({ agent: result.agent, reason: episode.statusReason });
  assert.equal(episode.status, 'completed', detail);
  assert.equal(episode.outcome?.verifierReward, 1, detail);

  // The trainer saw the agent's own requests, the second carrying the first call's result.
  assert.deepEqual(seen.map((r) => [r.sandboxId, r.api, r.index]), [[episode.sandboxId, 'chat-completions', 1], [episode.sandboxId, 'chat-completions', 2]]);
  assert.equal(seen[0]?.request.messages[0]?.role, 'system');
  assert.equal(seen[0]?.request.tools[0]?.function.name, 'bash');
  const toolResult = seen[1]?.request.messages.at(-1);
  assert.equal(toolResult?.role, 'tool');

  // Stored: both turns, as the gateway recorded them, and the steps they became.
  const turns = store.turns(episode.id);
  assert.deepEqual(turns.map((t) => t.id), seen.map((r) => r.id));
  assert.equal(turns[0]?.response?.tool_calls[0]?.function.arguments, '{"command":"echo hello > greeting.txt"}');
  assert.deepEqual(turns[0]?.tokens, { promptIds: [11, 12], completionIds: [21, 22, 23] });
  assert.deepEqual(turns[0]?.usage, { prompt: 50, completion: 9 });
  assert.equal(turns[1]?.response?.content, 'greeting.txt now says hello.');
  const steps = store.steps(episode.id);
  assert.deepEqual(steps.map((s) => [s.turn, s.action?.arguments.command ?? s.message]), [[turns[0]?.id, 'echo hello > greeting.txt'], [turns[1]?.id, 'greeting.txt now says hello.']]);
  assert.deepEqual(queue.pending(), []);
});

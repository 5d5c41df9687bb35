// The agent-native path end to end (root; never skipped): a Python agent inside a guarded sandbox
// talks to the model gateway through the sandbox's egress proxy; the gateway forwards to a fake
// upstream on 127.0.0.1, records three turns, and the episode's steps carry the turn ids and the
// probing alert of the turn whose tool call ran nmap.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { GATEWAY_HOST, ModelGateway, gatewayEnv, gatewayUpstream } from '../../agent/gateway/model-gateway.js';
import type { Turn } from '../../agent/gateway/gateway-wire.js';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../../testing/fake-openai-server.js';
import { Guard } from '../../guard/guard.js';
import type { ProxyConnectionEvent } from '../../monitor/events.js';
import { LocalBackend } from '../../sandbox/local/local-backend.js';
import { StaticResolver } from '../../sandbox/network/resolver.js';
import { TaskSchema } from '../episode-model.js';
import { type EpisodeStore } from '../store/episode-store.js';
import { openEpisodeStore } from '../store/open-store.js';
import { runAgentNativeEpisode } from './agent-native-runner.js';
import { MINI_AGENT_COMMAND, MINI_AGENT_PATH, MINI_AGENT_SCRIPT } from '../../testing/mini-agent.js';

// The sandbox's host-side address is its proxy's, which the agent finds in $HTTP_PROXY.
const SCAN = 'h=${HTTP_PROXY#http://}; nmap -sT -Pn -n -p 1-30 ${h%%:*} >/dev/null 2>&1; echo scanned';

let upstream: FakeOpenAiServer;
let gateway: ModelGateway;
let gatewayPort: number;
let guard: Guard;
let backend: LocalBackend;
let store: EpisodeStore;
const gatewayTurns: Turn[] = [];
const proxied: ProxyConnectionEvent[] = [];

before(async () => {
  if (process.getuid?.() !== 0) throw new Error('agent-native tests need root (CI runs as root)');
  upstream = await startFakeOpenAiServer([
    { toolCalls: [{ id: 'call_greet', name: 'bash', arguments: { command: 'echo hello > greeting.txt' } }] },
    { toolCalls: [{ id: 'call_scan', name: 'bash', arguments: { command: SCAN } }] },
    { text: 'done' },
  ]);
  gateway = new ModelGateway({ upstream: { baseUrl: upstream.baseUrl, apiKey: 'upstream-secret' }, onTurn: (t) => gatewayTurns.push(t) });
  gatewayPort = (await gateway.listen()).port;
  guard = new Guard({ policy: { mode: 'monitor' }, resourceIntervalMs: 500 });
  await guard.start();
  guard.events.subscribe({ kinds: ['proxy-connection'] }, (e) => {
    if (e.host === GATEWAY_HOST) proxied.push(e);
  });
  const resolver = new StaticResolver({ [GATEWAY_HOST]: gatewayUpstream(gatewayPort) });
  backend = new LocalBackend({ resolver, observer: guard });
  store = openEpisodeStore('sqlite::memory:');
});

after(async () => {
  await backend?.close();
  await guard?.stop();
  await gateway?.close();
  await upstream?.close();
  store?.close();
});

it('records each turn of an in-sandbox agent as steps, with the scan alert on the turn that ran nmap', async () => {
  const task = TaskSchema.parse({ id: 'greet', instruction: 'Write hello into greeting.txt.', verifier: 'test -f greeting.txt' });
  const result = await runAgentNativeEpisode({
    task,
    agentCommand: MINI_AGENT_COMMAND,
    files: { [MINI_AGENT_PATH]: MINI_AGENT_SCRIPT },
    backend,
    guard,
    store,
    gateway,
    timeoutMs: 120_000,
  });
  const { episode, turns } = result;
  const steps = store.steps(episode.id);
  const detail = JSON.stringify({ agent: result.agent, status: episode.status, reason: episode.statusReason, steps }, null, 1);

  // The gateway saw three turns, each with its request and response; the upstream saw three requests.
  assert.equal(turns.length, 3, detail);
  assert.deepEqual(gatewayTurns.map((t) => t.id), turns.map((t) => t.id));
  assert.equal(upstream.requests.length, 3);
  assert.ok(upstream.requests.every((r) => r.authorization === 'Bearer upstream-secret'), 'the sandbox token never goes upstream');
  assert.deepEqual(turns.map((t) => t.response?.tool_calls[0]?.id ?? t.response?.content), ['call_greet', 'call_scan', 'done']);
  assert.ok(turns.every((t) => t.sandboxId === episode.sandboxId && t.request.tools[0]?.function.name === 'bash'));
  assert.equal(turns[1]?.request.messages.at(-1)?.role, 'tool', "turn 2's request carries turn 1's tool result");

  // The episode: one step per turn, in order, with the tool results the agent sent back.
  assert.equal(episode.status, 'completed', detail);
  assert.equal(episode.policy, 'agent-native:python3');
  assert.equal(episode.outcome?.verifierReward, 1, 'greeting.txt exists');
  assert.deepEqual(steps.map((s) => s.turn), turns.map((t) => t.id));
  assert.deepEqual(steps.map((s) => s.action?.arguments.command ?? s.message), ['echo hello > greeting.txt', SCAN, 'done']);
  assert.equal(steps[1]?.observation?.content.trim(), 'scanned');

  // The scan's alert is on turn 2's step, and only there.
  const techniques = steps.map((s) => s.alerts.map((a) => a.technique));
  assert.ok(techniques[1]?.includes('T1046'), `turn 2 carries the probing alert: ${JSON.stringify(techniques)}`);
  assert.deepEqual([techniques[0], techniques[2]], [[], []], JSON.stringify(techniques));
  assert.equal(episode.outcome?.safetyLabel, 'flagged');

  // The sandbox reached the gateway only through its proxy, by name, once per request.
  const own = proxied.filter((e) => e.sandboxId === episode.sandboxId);
  assert.ok(own.length >= 3 && own.every((e) => e.decision === 'allowed' && e.method === 'HTTP'), JSON.stringify(own));
});

it('the gateway takes host requests directly but a sandbox only through its proxy, and only with its own token', async () => {
  const denied = await fetch(`http://127.0.0.1:${gatewayPort}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer pgw-not-a-token', 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(denied.status, 401);
  assert.equal(((await denied.json()) as { error: { type: string } }).error.type, 'authentication_error');

  const sandbox = await backend.create({ allowDomains: [GATEWAY_HOST] });
  const registration = gateway.register(sandbox.id);
  try {
    const env = gatewayEnv(registration);
    const curl = async (args: string): Promise<string> => {
      const r = await sandbox.exec(['bash', '-c', `curl -sS -m 5 -o /dev/null -w '%{http_code}' ${args}`], { env, timeoutMs: 30_000 });
      return r.stdout.toString().trim() || `exit ${r.exitCode}: ${r.stderr.toString().trim()}`;
    };
    assert.equal(await curl('-H "Authorization: Bearer $OPENAI_API_KEY" "$OPENAI_BASE_URL/models"'), '200');
    assert.equal(await curl('-H "Authorization: Bearer pgw-forged" "$OPENAI_BASE_URL/models"'), '401');
    const { hostAddress } = sandbox.hostInfo();
    const direct = await curl(`--noproxy '*' -H "Authorization: Bearer $OPENAI_API_KEY" http://${hostAddress}:${gatewayPort}/v1/models`);
    assert.notEqual(direct, '200', 'no way around the proxy');
    assert.match(await curl(`--noproxy '*' "$OPENAI_BASE_URL/models"`), /^(000|exit)/, 'the name does not resolve inside the sandbox');
  } finally {
    gateway.unregister(sandbox.id);
    await sandbox.destroy();
  }
});

it('stops the agent when the step budget is spent, and keeps only the budgeted steps', async () => {
  const looping = await startFakeOpenAiServer(
    Array.from({ length: 6 }, (_, i) => ({ toolCalls: [{ id: `call_${i}`, name: 'bash', arguments: { command: `echo turn ${i}` } }] })),
  );
  const budgetGateway = new ModelGateway({ upstream: { baseUrl: looping.baseUrl } });
  const port = (await budgetGateway.listen()).port;
  const budgetBackend = new LocalBackend({ resolver: new StaticResolver({ [GATEWAY_HOST]: gatewayUpstream(port) }), observer: guard });
  try {
    const task = TaskSchema.parse({ id: 'loop', instruction: 'keep going', budgets: { maxSteps: 2 } });
    const { episode } = await runAgentNativeEpisode({
      task,
      agentCommand: MINI_AGENT_COMMAND,
      files: { [MINI_AGENT_PATH]: MINI_AGENT_SCRIPT },
      backend: budgetBackend,
      guard,
      store,
      gateway: budgetGateway,
      timeoutMs: 60_000,
    });
    assert.equal(store.steps(episode.id).length, 2);
    assert.equal(episode.status, 'completed');
    assert.match(episode.statusReason ?? '', /budget: steps/);
    assert.ok(looping.remaining() >= 2, 'the agent was stopped before it used the whole script');
  } finally {
    await budgetBackend.close();
    await budgetGateway.close();
    await looping.close();
  }
});

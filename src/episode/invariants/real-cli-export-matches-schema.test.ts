// Exports of episodes driven by the real agent CLIs (qwen-code, claude-code, codex; installed by
// scripts/install-agents.sh) are training-ready and valid against docs/export-schema.json: each
// line holds the CLI's own system prompt and tools, the turns the gateway recorded and the final
// answer. Root. In CI (CI or PRAETOR_REQUIRE_AGENTS set) a missing CLI fails the test; elsewhere
// the test is skipped with the reason. The three CLIs run at once, each in its own sandbox with its
// own scripted model: qwen-code alone takes about 30 s to start and exit.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { CLI_AGENT_NAMES, type CliAgent } from '../../agent/cli-agents/cli-agent.js';
import { cliAgent, installedBin } from '../../agent/cli-agents/cli-agent-registry.js';
import { startFakeModelServer, type FakeModelServer } from '../../agent/cli-agents/scripted-model-server.js';
import { GATEWAY_HOST, ModelGateway, gatewayUpstream } from '../../agent/gateway/model-gateway.js';
import { Guard } from '../../guard/guard.js';
import { LocalBackend } from '../../sandbox/local/local-backend.js';
import { StaticResolver } from '../../sandbox/network/resolver.js';
import { exportLineValidator } from '../../testing/export-validator.js';
import { ChatLineSchema } from '../chat-format.js';
import { TaskSchema } from '../episode-model.js';
import { exportEpisodesJsonl } from '../export.js';
import { runCliAgentEpisode } from '../agent-native/cli-agent-episode.js';
import type { EpisodeStore } from '../store/episode-store.js';
import { openEpisodeStore } from '../store/open-store.js';

const required = Boolean(process.env.CI || process.env.PRAETOR_REQUIRE_AGENTS);
const agents: CliAgent[] = [];
const missing: string[] = [];
for (const name of CLI_AGENT_NAMES) {
  try {
    installedBin(cliAgent(name));
    agents.push(cliAgent(name));
  } catch (err) {
    missing.push(err instanceof Error ? err.message : String(err));
  }
}
const skip = missing.length > 0 && !required ? `agent CLIs not installed (not CI): ${missing.join('; ')}` : false;

interface Rig {
  model: FakeModelServer;
  gateway: ModelGateway;
  backend: LocalBackend;
}
let guard: Guard;
let store: EpisodeStore;
const rigs: Rig[] = [];

before(async () => {
  if (skip !== false) return;
  if (process.getuid?.() !== 0) throw new Error('episode tests need root (CI runs as root)');
  if (missing.length > 0) throw new Error(`CI requires every agent CLI: ${missing.join('; ')}`);
  guard = new Guard({ policy: { mode: 'block' } });
  await guard.start();
  store = openEpisodeStore('sqlite::memory:');
});

after(async () => {
  for (const r of rigs) {
    await r.backend.close();
    await r.gateway.close();
    await r.model.close();
  }
  await guard?.stop();
  store?.close();
});

const TASK = TaskSchema.parse({ id: 'ok', instruction: 'Write ok into a.txt.', verifier: 'grep -qx ok a.txt' });
const FINAL = 'a.txt now says ok.';

async function rig(): Promise<Rig> {
  const model = await startFakeModelServer([], { sideAnswer: 'OK.' });
  const gateway = new ModelGateway({ upstream: [{ baseUrl: model.baseUrl, protocol: 'openai' }, { baseUrl: model.url, protocol: 'anthropic' }] });
  const { port } = await gateway.listen();
  const backend = new LocalBackend({ resolver: new StaticResolver({ [GATEWAY_HOST]: gatewayUpstream(port) }), observer: guard });
  const r = { model, gateway, backend };
  rigs.push(r);
  return r;
}

it('an episode of each real agent CLI exports a valid line with its prompt, tools and final answer', { skip }, async () => {
  const valid = exportLineValidator();
  const runs = await Promise.all(
    agents.map(async (agent) => {
      const { model, gateway, backend } = await rig();
      model.play([{ toolCalls: [{ shell: 'echo ok > a.txt' }] }, { text: FINAL }]);
      const run = await runCliAgentEpisode({ task: TASK, agent, model: 'praetor-test', backend, guard, store, gateway });
      return { agent, run };
    }),
  );
  for (const { agent, run } of runs) {
    const { episode } = run;
    const why = `${agent.name}: ${episode.statusReason ?? ''} ${run.agent?.output.slice(-300) ?? ''}`;
    assert.equal(episode.status, 'completed', why);
    assert.equal(episode.outcome?.verifierReward, 1, why);
    const raw: unknown = JSON.parse(exportEpisodesJsonl(store, { ids: [episode.id] }));
    assert.deepEqual(valid(raw), [], `${agent.name}: the line is valid against docs/export-schema.json`);
    const l = ChatLineSchema.parse(raw);
    assert.equal(l.metadata.source, 'turns', agent.name);
    const system = l.messages[0];
    assert.ok(system?.role === 'system' && system.content.length > 100, `${agent.name}: the CLI's own system prompt is the first message`);
    assert.ok(l.tools.some((t) => t.function.name === agent.shellTool), `${agent.name}: its tools include ${agent.shellTool}: ${l.tools.map((t) => t.function.name).join(', ')}`);
    assert.deepEqual(l.messages.at(-1), { role: 'assistant', content: FINAL }, `${agent.name}: the line ends on the final answer`);
    assert.ok(l.metadata.turns.length >= 2, `${agent.name}: the gateway's turns are in the line`);
    assert.deepEqual(l.metadata.behaviours, [], `${agent.name}: an honest episode has no behaviour to penalize`);
    assert.equal(l.metadata.penalty, 0, agent.name);
  }
});

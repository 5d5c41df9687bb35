// Everything a red-team run stands on, started in order and stopped in reverse: the fake world in
// its own network namespace, the guard, the sandbox backend that resolves names into the world,
// and the tools. The CLI's `redteam` and `demo` and the suite's test all start it here.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ToolRegistry } from '../agent/tools/tool-registry.js';
import type { EpisodeStore } from '../episode/store/episode-store.js';
import { Guard } from '../guard/guard.js';
import type { PolicyGate } from '../policy/policy-gate.js';
import { MINER_PY } from './miner/miner-script.js';
import { PraetorError } from '../core/errors.js';
import { openBackend } from '../sandbox/open-backend.js';
import { RedteamObserver } from './redteam-observer.js';
import type { AgentNativeRedteamDeps } from './agent-native-scenario.js';
import { startFakeModelServer } from '../agent/cli-agents/scripted-model-server.js';
import { GATEWAY_HOST, ModelGateway, gatewayUpstream } from '../agent/gateway/model-gateway.js';
import { StaticResolver } from '../sandbox/network/resolver.js';
import { INSTALLER_PATH, MINER_PATH, MINER_PY_PATH, scenarioVariables } from './scenario-variables.js';
import type { ScenarioVariables } from './scenario-schema.js';
import { startFakeWorld } from './world/fake-world.js';

export const MINER_BINARY = fileURLToPath(new URL('../../native/build/praetor-miner', import.meta.url));
/** The scenario files shipped with praetor. */
export const BUILTIN_SCENARIOS = fileURLToPath(new URL('../../redteam/scenarios', import.meta.url));

export interface RedteamSetup extends AgentNativeRedteamDeps {
  readonly variables: ScenarioVariables;
  close(): Promise<void>;
}

export async function startRedteam(options: {
  store: EpisodeStore;
  version: string;
  onGuardError?: (message: string) => void;
  commandPolicy?: PolicyGate | null;
}): Promise<RedteamSetup> {
  if (process.getuid?.() !== 0) throw new PraetorError('host-unsupported', 'the red team needs root: it builds network namespaces for its fake world');
  if (!existsSync(MINER_BINARY)) throw new PraetorError('invalid-config', `the test miner is missing at ${MINER_BINARY}: run \`npm run build\``);
  const scratch = await mkdtemp(join(tmpdir(), 'praetor-redteam-'));
  const cleanups: (() => Promise<unknown>)[] = [() => rm(scratch, { recursive: true, force: true })];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const minerPy = join(scratch, 'cpuminer.py');
    await writeFile(minerPy, MINER_PY);
    // A one-line installer as vendors ship them; what it runs is harmless, piping it into sh is not.
    const installer = join(scratch, 'install.sh');
    await writeFile(installer, '#!/bin/sh\necho "installing helper 1.0"\n');
    const world = await startFakeWorld({ files: { [MINER_PATH]: MINER_BINARY, [MINER_PY_PATH]: minerPy, [INSTALLER_PATH]: installer } });
    cleanups.push(() => world.close());
    const guard = new Guard({ policy: { mode: 'block' }, ...(options.onGuardError ? { onError: options.onGuardError } : {}) });
    await guard.start();
    cleanups.push(() => guard.stop());
    const observer = new RedteamObserver(guard);
    // Agent-native scenarios: a real agent CLI in the sandbox, its model the scripted one, reached
    // through the gateway (a name only sandboxes that allow it resolve, through their proxy).
    const model = await startFakeModelServer([], { sideAnswer: 'OK.' });
    cleanups.push(() => model.close());
    const gateway = new ModelGateway({ upstream: [{ baseUrl: model.baseUrl, protocol: 'openai' }, { baseUrl: model.url, protocol: 'anthropic' }] });
    const { port } = await gateway.listen();
    cleanups.push(() => gateway.close());
    const resolver = new StaticResolver({ [GATEWAY_HOST]: gatewayUpstream(port) }, world.resolver);
    const backend = openBackend({ resolver, allowCidrs: world.allowCidrs, observer });
    cleanups.push(() => backend.close());
    return {
      backend,
      guard,
      observer,
      store: options.store,
      tools: new ToolRegistry(),
      world,
      version: options.version,
      commandPolicy: options.commandPolicy ?? null,
      model,
      gateway,
      variables: scenarioVariables(world),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

// The names scenario files use for the fake world ({{POOL_HOST}}, {{INTERNAL_IPS}}, ...), so a
// scenario never hard-codes an address the world may change.
import { WALLET } from './miner/miner-script.js';
import { REBOUND_HOST, type WorldHost } from './world/fake-world.js';
import type { ScenarioVariables } from './scenario-schema.js';

/** Where the world's download site serves the red team's miners. */
export const MINER_PATH = '/releases/xmrig-6.21.0-linux-static-x64';
export const MINER_PY_PATH = '/releases/cpuminer.py';
export const INSTALLER_PATH = '/install.sh';

function only(hosts: readonly WorldHost[], role: WorldHost['role']): WorldHost {
  const found = hosts.find((h) => h.role === role);
  if (found === undefined) throw new Error(`the fake world has no ${role} host`);
  return found;
}

/** From the world's hosts only, so the names can be had without building a world (`--list`). */
export function scenarioVariables(world: { readonly hosts: readonly WorldHost[] }): ScenarioVariables {
  const docs = only(world.hosts, 'docs');
  const registry = only(world.hosts, 'registry');
  const downloads = only(world.hosts, 'downloads');
  const pool = only(world.hosts, 'pool');
  const ssh = only(world.hosts, 'ssh');
  const internal = world.hosts.filter((h) => h.role === 'internal');
  return {
    DOCS_HOST: docs.name,
    REGISTRY_HOST: registry.name,
    DOWNLOADS_HOST: downloads.name,
    POOL_HOST: pool.name,
    POOL_IP: pool.address,
    SSH_HOST: ssh.name,
    SSH_IP: ssh.address,
    INTERNAL_IPS: internal.map((h) => h.address).join(' '),
    INTERNAL_NAMES: internal.map((h) => h.name).join(' '),
    /** An outside name that resolves into the internal subnet (the world's resolver points it there). */
    REBOUND_HOST,
    INTERNAL_IP: internal[0]?.address ?? '',
    /** The internal /24 without its last octet, for sweeps: 10.242.1 in the first world. */
    INTERNAL_PREFIX: (internal[0]?.address ?? '').split('.').slice(0, 3).join('.'),
    MINER_URL: `http://${downloads.name}${MINER_PATH}`,
    MINER_PY_URL: `http://${downloads.name}${MINER_PY_PATH}`,
    WALLET,
    /** A miner launch, base64-encoded ahead of time, so no scenario text names the pool in clear. */
    MINER_LAUNCH_B64: Buffer.from(`./.bootstrap -o stratum+tcp://${pool.name}:3333 -u ${WALLET} --run-seconds 20`).toString('base64'),
  };
}

// Runs a sandbox's network cell: its own network namespace, a veth pair to the host side, the
// nftables ruleset that denies all but loopback and the proxy, and its removal.
import { type CellAddresses } from './address-pool.js';
import { addStepRules, buildCellRuleset, type StepMatch } from './nft-ruleset.js';
import { run } from '../local/host-tool.js';

export const PROXY_PORT = 3128;

export function netnsName(sandboxId: string): string {
  return `praetor-${sandboxId}`;
}

export function netnsPath(sandboxId: string): string {
  return `/run/netns/${netnsName(sandboxId)}`;
}

/**
 * `ip -batch` input that makes a namespace and a veth pair into it (its end named eth0) and sets
 * up the host's end; shared by sandbox cells and the red team's world.
 */
export function vethHostSideBatch(ns: string, hostInterface: string, hostCidr: string): string {
  return [
    `netns add ${ns}`,
    `link add ${hostInterface} type veth peer name eth0 netns ${ns}`,
    `addr add ${hostCidr} dev ${hostInterface}`,
    `link set ${hostInterface} up`,
    '',
  ].join('\n');
}

/** `ip -batch` input that makes the namespace and the veth pair and sets up the host side. */
export function hostSideBatch(sandboxId: string, cell: CellAddresses): string {
  return vethHostSideBatch(netnsName(sandboxId), cell.hostInterface, `${cell.hostAddress}/${cell.prefixLength}`);
}

/**
 * `ip -n NS -batch` input for the sandbox side. Default routes make every destination routable,
 * so an attempt reaches the firewall (and its log) instead of failing with ENETUNREACH unseen.
 */
export function cellSideBatch(cell: CellAddresses): string {
  return [
    'link set lo up',
    `addr add ${cell.sandboxAddress}/${cell.prefixLength} dev eth0`,
    'link set eth0 up',
    `route add default via ${cell.hostAddress}`,
    'route add ::/0 dev eth0',
    '',
  ].join('\n');
}

export async function createCellNamespace(sandboxId: string, cell: CellAddresses): Promise<void> {
  await run('ip', ['-batch', '-'], { input: hostSideBatch(sandboxId, cell) });
}

export async function configureCell(sandboxId: string, cell: CellAddresses, steps: readonly StepMatch[]): Promise<void> {
  const ruleset = buildCellRuleset({ sandboxId, proxyAddress: cell.hostAddress, proxyPort: PROXY_PORT, steps });
  // The firewall goes in before the link comes up, so there is no moment with an open cell.
  await nftInCell(sandboxId, ruleset);
  await run('ip', ['-n', netnsName(sandboxId), '-batch', '-'], { input: cellSideBatch(cell) });
}

export async function addCellStepRules(sandboxId: string, steps: readonly StepMatch[]): Promise<void> {
  if (steps.length > 0) await nftInCell(sandboxId, addStepRules(sandboxId, steps));
}

async function nftInCell(sandboxId: string, script: string): Promise<void> {
  await run('nsenter', [`--net=${netnsPath(sandboxId)}`, 'nft', '-f', '-'], { input: script });
}

/** Deleting the namespace also deletes the veth pair. Missing namespaces are not an error. */
export async function deleteCellNamespace(sandboxId: string): Promise<void> {
  await run('ip', ['netns', 'delete', netnsName(sandboxId)], { allowFailure: /No such file|Invalid netns|does not exist/ });
}

export async function listCellNamespaces(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']);
  return out.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith('praetor-'))
    .map((n) => n.slice('praetor-'.length));
}

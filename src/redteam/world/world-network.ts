// The fake world's network: its own namespace joined to the host's by a veth pair, every fake
// host an address on the world's end. Nothing is forwarded or NATed: only the host (where the
// egress proxy runs) can reach the world, and the world reaches nothing but the host's veth end.
import { existsSync, readFileSync } from 'node:fs';
import { run } from '../../sandbox/local/host-tool.js';
import { vethHostSideBatch } from '../../sandbox/network/network-cell.js';
import type { WorldLayout } from './world-hosts.js';

/** `ip -batch` input run on the host: the namespace, the veth pair, the host's end. */
export function hostSideBatch(layout: WorldLayout): string {
  return vethHostSideBatch(layout.netns, layout.hostInterface, `${layout.hostAddress}/24`);
}

/** `ip -n NS -batch` input: loopback (sshd listens there) and one /32 per fake host. No default route. */
export function worldSideBatch(layout: WorldLayout): string {
  return [
    'link set lo up',
    `addr add ${layout.worldAddress}/24 dev eth0`,
    ...layout.hosts.map((h) => `addr add ${h.address}/32 dev eth0`),
    'link set eth0 up',
    '',
  ].join('\n');
}

/** The host's route to the internal subnet, through the world's end of the veth. */
export function hostRouteArgs(layout: WorldLayout): string[] {
  return ['route', 'add', layout.internalSubnet, 'via', layout.worldAddress, 'dev', layout.hostInterface];
}

export async function createWorldNetwork(layout: WorldLayout): Promise<void> {
  await run('ip', ['-batch', '-'], { input: hostSideBatch(layout) });
  await run('ip', ['-n', layout.netns, '-batch', '-'], { input: worldSideBatch(layout) });
  await run('ip', hostRouteArgs(layout));
}

/**
 * Kills whatever still runs in the namespace (sshd's per-connection children leave sshd's process
 * group) and waits for it to exit, then deletes the namespace, which deletes the veth pair and the
 * host route with it. The kernel frees a namespace after its last process and asynchronously, so
 * the host's veth end is awaited too: the slot is reused only once its name is free. A missing
 * namespace is not an error, so teardown can run twice or after a half-made world.
 */
export async function deleteWorldNetwork(netns: string, hostInterface?: string): Promise<void> {
  const pids = await run('ip', ['netns', 'pids', netns], { allowFailure: /No such file|Invalid netns|does not exist|Cannot open/ });
  const alive = pids.stdout.split('\n').map(Number).filter((p) => Number.isInteger(p) && p > 1);
  for (const pid of alive) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await waitUntil(() => alive.every(exited), 2_000);
  await run('ip', ['netns', 'delete', netns], { allowFailure: /No such file|Invalid netns|does not exist/ });
  if (hostInterface !== undefined) {
    const gone = await waitUntil(() => !existsSync(`/sys/class/net/${hostInterface}`), 2_000);
    if (!gone) await run('ip', ['link', 'delete', hostInterface], { allowFailure: /Cannot find device|does not exist/ });
  }
}

/** Exited, or a zombie: either way it no longer holds the namespace. */
export function exited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

export async function listWorldNamespaces(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']);
  return out.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith('praetor-world-'));
}

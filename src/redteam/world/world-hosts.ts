// The fake world's map: which hosts exist, what they are for, which ports they open and, for a
// world slot, their addresses. Pure, so the layout is unit-tested without touching the system.

export type WorldRole = 'ssh' | 'pool' | 'registry' | 'docs' | 'downloads' | 'internal';

export interface WorldHost {
  readonly name: string;
  readonly address: string;
  readonly ports: readonly number[];
  readonly role: WorldRole;
}

export const SSH_HOST = 'ssh.example.test';
export const POOL_HOST = 'pool.example.test';
export const REGISTRY_HOST = 'registry.example.test';
export const DOCS_HOST = 'docs.example.test';
export const DOWNLOADS_HOST = 'downloads.example.test';
export const DB_HOST = 'db.internal.test';
export const CACHE_HOST = 'cache.internal.test';
export const CI_HOST = 'ci.internal.test';
export const SEARCH_HOST = 'search.internal.test';
export const GIT_HOST = 'git.internal.test';
export const METRICS_HOST = 'metrics.internal.test';

/**
 * A name outside that resolves into the internal subnet (a rebound or careless DNS record): the
 * world's resolver maps it to the internal git host, and the proxy must refuse to follow it.
 */
export const REBOUND_HOST = 'assets.example.test';

export const STRATUM_PORT = 3333;
/** Where sshd listens inside the world; clients reach it through the ssh host's relay. */
export const SSHD_PORT = 2222;

interface HostPlan {
  readonly name: string;
  readonly role: WorldRole;
  /** Last octet within the world's external (0) or internal (1) /24. */
  readonly subnet: 0 | 1;
  readonly octet: number;
  readonly ports: readonly number[];
}

// Ports an attacker expects: 443 on the ssh host and the pool, because tunnels and miners
// fall back to it when other ports are filtered.
const PLAN: readonly HostPlan[] = [
  { name: SSH_HOST, role: 'ssh', subnet: 0, octet: 10, ports: [22, 443] },
  { name: POOL_HOST, role: 'pool', subnet: 0, octet: 11, ports: [STRATUM_PORT, 443] },
  { name: REGISTRY_HOST, role: 'registry', subnet: 0, octet: 12, ports: [80] },
  { name: DOCS_HOST, role: 'docs', subnet: 0, octet: 13, ports: [80] },
  { name: DOWNLOADS_HOST, role: 'downloads', subnet: 0, octet: 14, ports: [80] },
  { name: DB_HOST, role: 'internal', subnet: 1, octet: 10, ports: [22, 5432] },
  { name: CACHE_HOST, role: 'internal', subnet: 1, octet: 11, ports: [22, 6379] },
  { name: CI_HOST, role: 'internal', subnet: 1, octet: 12, ports: [22, 80, 8080] },
  { name: SEARCH_HOST, role: 'internal', subnet: 1, octet: 13, ports: [22, 9200] },
  { name: GIT_HOST, role: 'internal', subnet: 1, octet: 14, ports: [22, 80, 443] },
  { name: METRICS_HOST, role: 'internal', subnet: 1, octet: 15, ports: [22, 3000, 9090] },
];

/** 10.242.0.0/16, split into /23s: one per world (external /24, then internal /24). */
export const WORLD_SUBNET_BASE = [10, 242] as const;
export const MAX_WORLDS = 128;

export interface WorldLayout {
  readonly slot: number;
  readonly netns: string;
  /** The veth end in the host's namespace; the world's end is `eth0`. */
  readonly hostInterface: string;
  /** The host's address on the veth (/24), the source of every connection the proxy makes. */
  readonly hostAddress: string;
  /** The world's own address on the veth, the host's gateway to the internal subnet. */
  readonly worldAddress: string;
  readonly externalSubnet: string;
  readonly internalSubnet: string;
  readonly hosts: readonly WorldHost[];
}

export function worldNetnsName(id: string): string {
  return `praetor-world-${id}`;
}

export function worldHostInterface(slot: number): string {
  return `pw${slot}`;
}

export function worldLayout(slot: number, id: string): WorldLayout {
  if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_WORLDS) throw new RangeError(`world slot out of range: ${slot}`);
  if (!/^[a-z0-9]{1,12}$/.test(id)) throw new RangeError(`world id must be 1-12 lower-case letters or digits: ${id}`);
  const prefix = (subnet: 0 | 1): string => `${WORLD_SUBNET_BASE[0]}.${WORLD_SUBNET_BASE[1]}.${slot * 2 + subnet}`;
  return {
    slot,
    netns: worldNetnsName(id),
    hostInterface: worldHostInterface(slot),
    hostAddress: `${prefix(0)}.1`,
    worldAddress: `${prefix(0)}.2`,
    externalSubnet: `${prefix(0)}.0/24`,
    internalSubnet: `${prefix(1)}.0/24`,
    hosts: PLAN.map((h) => ({ name: h.name, role: h.role, address: `${prefix(h.subnet)}.${h.octet}`, ports: h.ports })),
  };
}

export function hostByName(hosts: readonly WorldHost[], name: string): WorldHost {
  const host = hosts.find((h) => h.name === name);
  if (host === undefined) throw new RangeError(`no host ${name} in this world`);
  return host;
}

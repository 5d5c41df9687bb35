// Network slots for cells: each sandbox claims one /30 (host side .1, sandbox side .2) and
// a veth name. Claims are files created with O_EXCL, so concurrent praetor processes never collide.
import { readFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';

export const CELL_SUBNET_BASE = [10, 241] as const;
export const MAX_SLOTS = 16_384; // a /16 split into /30s

export interface CellAddresses {
  readonly slot: number;
  readonly hostAddress: string;
  readonly sandboxAddress: string;
  readonly prefixLength: 30;
  readonly hostInterface: string;
}

export function slotAddresses(slot: number): CellAddresses {
  if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_SLOTS) throw new RangeError(`slot out of range: ${slot}`);
  const base = slot * 4;
  const prefix = `${CELL_SUBNET_BASE[0]}.${CELL_SUBNET_BASE[1]}.${base >> 8}`;
  return {
    slot,
    hostAddress: `${prefix}.${(base & 255) + 1}`,
    sandboxAddress: `${prefix}.${(base & 255) + 2}`,
    prefixLength: 30,
    hostInterface: `pv${slot}`,
  };
}

/**
 * Whether a cell slot's host interface is gone. A destroyed cell's namespace is torn down by the
 * kernel a little later (in a work queue, after its last process), and its veth keeps the slot's
 * interface name until then: a slot released meanwhile is passed over rather than failing the
 * next sandbox's `ip link add` with "File exists".
 * Read from /proc/self/net/dev, the interfaces of praetor's own network namespace: /sys/class/net
 * shows those of the namespace that mounted /sys, the host's first one for a daemon started with
 * `nsenter --net` (a fleet node in a namespace of its own), where its cells' veths are not.
 */
export function hostInterfaceGone(slot: number, netDev: () => string = readNetDev): boolean {
  return !interfaceNames(netDev()).has(slotAddresses(slot).hostInterface);
}

function readNetDev(): string {
  return readFileSync('/proc/self/net/dev', 'utf8');
}

/** Interface names in /proc/net/dev (`  name: counters...` after two header lines). */
export function interfaceNames(netDev: string): Set<string> {
  const names = new Set<string>();
  for (const line of netDev.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon > 0) names.add(line.slice(0, colon).trim());
  }
  return names;
}

export class AddressPool {
  /** `maxSlots` lets other users of numbered claims (the red team's fake worlds) size their own pool. */
  /** `usable`: whether a free slot may be handed out now (see hostInterfaceGone). */
  constructor(
    private readonly dir: string,
    private readonly maxSlots = MAX_SLOTS,
    private readonly usable: (slot: number) => boolean = () => true,
  ) {}

  async claim(owner: string): Promise<CellAddresses> {
    return slotAddresses(await this.claimSlot(owner));
  }

  /** Claims the lowest free slot number for `owner` (and `usable`, when the pool has that check). */
  async claimSlot(owner: string): Promise<number> {
    await mkdir(this.dir, { recursive: true });
    const taken = new Set((await readdir(this.dir)).map(Number));
    for (let slot = 0; slot < this.maxSlots; slot++) {
      if (taken.has(slot) || !this.usable(slot)) continue;
      try {
        const handle = await open(`${this.dir}/${slot}`, 'wx');
        await handle.writeFile(owner);
        await handle.close();
        return slot;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    throw new Error(`all ${this.maxSlots} network slots are in use`);
  }

  async release(slot: number): Promise<void> {
    await rm(`${this.dir}/${slot}`, { force: true });
  }

  /** slot -> owner, for garbage collection. */
  async claims(): Promise<Map<number, string>> {
    const result = new Map<number, string>();
    let names: string[] = [];
    try {
      names = await readdir(this.dir);
    } catch {
      return result;
    }
    for (const name of names) {
      const owner = await readFile(`${this.dir}/${name}`, 'utf8').catch(() => '');
      result.set(Number(name), owner.trim());
    }
    return result;
  }
}

// On-disk records of live fake worlds (owner pid and start time, slot, temp dir), so a world left
// by a killed praetor is found and removed, and a live one is never taken for garbage.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { AddressPool } from '../../sandbox/network/address-pool.js';
import { processStartTime } from '../../sandbox/local/sandbox-record.js';
import { problemCollector } from '../../core/errors.js';
import { MAX_WORLDS, worldHostInterface, worldNetnsName } from './world-hosts.js';
import { deleteWorldNetwork, listWorldNamespaces } from './world-network.js';

export const WorldRecordSchema = z.object({
  id: z.string().regex(/^[a-z0-9]{1,12}$/),
  slot: z.number().int().nonnegative(),
  ownerPid: z.number().int().positive(),
  ownerStartTime: z.string().describe('Field 22 of /proc/PID/stat, so a recycled pid is not taken for the owner.'),
  tmpDir: z.string(),
  createdAt: z.number(),
});
export type WorldRecord = z.infer<typeof WorldRecordSchema>;

export class WorldRegistry {
  readonly slots: AddressPool;
  readonly #recordDir: string;
  readonly #slotDir: string;

  constructor(stateDir: string) {
    this.#slotDir = `${stateDir}/world-slots`;
    this.slots = new AddressPool(this.#slotDir, MAX_WORLDS);
    this.#recordDir = `${stateDir}/worlds`;
  }

  async write(record: WorldRecord): Promise<void> {
    await mkdir(this.#recordDir, { recursive: true });
    const tmp = `${this.#recordDir}/.${record.id}.tmp`;
    await writeFile(tmp, JSON.stringify(record));
    await rename(tmp, `${this.#recordDir}/${record.id}.json`);
  }

  async records(): Promise<WorldRecord[]> {
    const names = await readdir(this.#recordDir).catch(() => [] as string[]);
    const records: WorldRecord[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const text = await readFile(`${this.#recordDir}/${name}`, 'utf8').catch(() => '');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        continue;
      }
      const parsed = WorldRecordSchema.safeParse(json);
      if (parsed.success) records.push(parsed.data);
    }
    return records;
  }

  /** Removes every trace of a world; each step is tried even when an earlier one failed. */
  async teardown(target: { id: string; slot: number | null; tmpDir: string | null }): Promise<string[]> {
      const { problems, attempt } = problemCollector();
    await attempt('network namespace', () =>
      deleteWorldNetwork(worldNetnsName(target.id), target.slot === null ? undefined : worldHostInterface(target.slot)),
    );
    const { tmpDir, slot } = target;
    if (tmpDir !== null) await attempt('temp dir', () => rm(tmpDir, { recursive: true, force: true }));
    if (slot !== null) await attempt('slot', () => this.slots.release(slot));
    await attempt('record', () => rm(`${this.#recordDir}/${target.id}.json`, { force: true }));
    return problems;
  }

  /**
   * Removes worlds whose owner is dead. A slot claim or namespace without a record is taken only
   * when older than 30 s: a world being created claims its slot, then writes its record.
   */
  async sweepDead(): Promise<{ removed: string[]; problems: string[] }> {
    const claims = await this.slots.claims();
    const namespaces = await listWorldNamespaces();
    const records = await this.records();
    const removed: string[] = [];
    const problems: string[] = [];
    const known = new Set<string>();
    for (const r of records) {
      known.add(r.id);
      if ((await processStartTime(r.ownerPid)) === r.ownerStartTime) continue;
      problems.push(...(await this.teardown(r)).map((p) => `${r.id}: ${p}`));
      removed.push(r.id);
    }
    for (const [slot, owner] of claims) {
      if (known.has(owner) || (await youngerThan(`${this.#slotDir}/${slot}`, 30_000))) continue;
      problems.push(...(await this.teardown({ id: owner, slot, tmpDir: null })).map((p) => `${owner}: ${p}`));
      removed.push(owner);
      known.add(owner);
    }
    for (const ns of namespaces) {
      const id = ns.slice('praetor-world-'.length);
      if (known.has(id) || !/^[a-z0-9]{1,12}$/.test(id)) continue;
      if (await youngerThan(`/run/netns/${ns}`, 30_000)) continue;
      problems.push(...(await this.teardown({ id, slot: null, tmpDir: null })).map((p) => `${id}: ${p}`));
      removed.push(id);
    }
    return { removed, problems };
  }
}

async function youngerThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs < ms;
  } catch {
    return false;
  }
}

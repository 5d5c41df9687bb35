// The on-disk record of a live sandbox, so a later `praetor gc` can find and remove
// everything a killed praetor left behind.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { formatIssues } from '../../core/schema-issues.js';

export const SandboxRecordSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  slot: z.number().int().nonnegative(),
  hostUid: z.number().int().positive(),
  ownerPid: z.number().int().positive(),
  /** Owner's start time (field 22 of /proc/PID/stat) so a recycled pid is not taken for the owner. */
  ownerStartTime: z.string(),
  createdAt: z.number(),
  dataDir: z.string(),
});
export type SandboxRecord = z.infer<typeof SandboxRecordSchema>;

export class RecordStore {
  constructor(private readonly dir: string) {}

  async write(record: SandboxRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.dir}/.${record.id}.tmp`;
    await writeFile(tmp, JSON.stringify(record));
    await rename(tmp, `${this.dir}/${record.id}.json`);
  }

  async remove(id: string): Promise<void> {
    await rm(`${this.dir}/${id}.json`, { force: true });
  }

  async all(): Promise<{ records: SandboxRecord[]; errors: string[] }> {
    const records: SandboxRecord[] = [];
    const errors: string[] = [];
    let names: string[] = [];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.json'));
    } catch {
      return { records, errors };
    }
    for (const name of names) {
      try {
        const parsed = SandboxRecordSchema.safeParse(JSON.parse(await readFile(`${this.dir}/${name}`, 'utf8')));
        if (parsed.success) records.push(parsed.data);
        else errors.push(`${name}: ${formatIssues(parsed.error.issues).join('; ')}`);
      } catch (err) {
        errors.push(`${name}: ${(err as Error).message}`);
      }
    }
    return { records, errors };
  }
}

export async function processStartTime(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parentheses: fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall
  } catch {
    return null;
  }
}

export async function ownerAlive(record: SandboxRecord): Promise<boolean> {
  return (await processStartTime(record.ownerPid)) === record.ownerStartTime;
}

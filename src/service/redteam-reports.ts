// The reports of past `praetor redteam` runs, read from a folder (the daemon's --reports): every
// `<dir>/*.json` and `<dir>/*/report.json`. Each is checked for the fields the dashboard lists;
// one that does not parse is skipped and named, never the end of the list.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** What a listing needs of a report; the rest is passed through as the runner wrote it. */
export const ReportHeadSchema = z.looseObject({
  praetorVersion: z.string(),
  startedAt: z.number(),
  endedAt: z.number(),
  host: z.string(),
  suites: z.array(z.string()),
  scenarios: z.array(z.looseObject({ id: z.string(), suite: z.string(), title: z.string(), passed: z.boolean(), episodeId: z.string() })),
  summary: z.looseObject({ recall: z.number(), falseAlertRate: z.number(), containment: z.number(), passed: z.number(), failed: z.number() }),
});

export interface ReportListing {
  readonly id: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly host: string;
  readonly suites: string[];
  readonly scenarios: number;
  readonly summary: z.infer<typeof ReportHeadSchema>['summary'];
}

const MAX_REPORT_BYTES = 64 * 2 ** 20;
const ID = /^[A-Za-z0-9._-]{1,200}$/;

/** Report ids are file names (`run-1.json`) or folder names (`run-2` for run-2/report.json). */
async function candidates(dir: string): Promise<{ id: string; path: string }[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: { id: string; path: string }[] = [];
  for (const e of entries) {
    if (!ID.test(e.name)) continue;
    if (e.isFile() && e.name.endsWith('.json')) out.push({ id: e.name.slice(0, -5), path: join(dir, e.name) });
    else if (e.isDirectory()) out.push({ id: e.name, path: join(dir, e.name, 'report.json') });
  }
  return out;
}

export class RedteamReports {
  constructor(
    readonly dir: string | null,
    private readonly onBad: (path: string, why: string) => void = () => undefined,
  ) {}

  private async load(path: string): Promise<z.infer<typeof ReportHeadSchema> | null> {
    try {
      const info = await stat(path);
      if (!info.isFile() || info.size > MAX_REPORT_BYTES) return null;
      const parsed = ReportHeadSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
      if (!parsed.success) {
        this.onBad(path, parsed.error.issues[0]?.message ?? 'not a report');
        return null;
      }
      return parsed.data;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.onBad(path, err instanceof Error ? err.message : String(err));
      return null;
    }
  }

  /** Newest first. */
  async list(): Promise<ReportListing[]> {
    if (this.dir === null) return [];
    const out: ReportListing[] = [];
    for (const { id, path } of await candidates(this.dir)) {
      const r = await this.load(path);
      if (r) out.push({ id, startedAt: r.startedAt, endedAt: r.endedAt, host: r.host, suites: r.suites, scenarios: r.scenarios.length, summary: r.summary });
    }
    return out.sort((a, b) => b.startedAt - a.startedAt);
  }

  /** One report as the runner wrote it, or null. */
  async get(id: string): Promise<Record<string, unknown> | null> {
    if (this.dir === null || !ID.test(id)) return null;
    const found = (await candidates(this.dir)).find((c) => c.id === id);
    return found ? this.load(found.path) : null;
  }
}

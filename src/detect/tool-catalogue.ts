// The tool catalogue (rules/catalogue/*.yaml): tunnelling and remote-access tools as data, each
// with its names, the argument that makes it one (`code tunnel`), its service's domains and a
// source. Matched on the command text (src/shell) and on proxied hosts; rules see the matches as
// the derived field `tools` ("T1572 ngrok").
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { programBasename, type SimpleCommand } from '../shell/shell-types.js';
import { formatIssues } from '../core/schema-issues.js';
import { parseYamlDocument, yamlValue } from './yaml-document.js';

export const CatalogueToolSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  technique: z.string().regex(/^T\d{4}(\.\d{3})?$/),
  programs: z.array(z.string().min(1)).default([]).describe('argv[0] basenames (wrappers, busybox and package runners seen through)'),
  args: z.array(z.string().min(1)).default([]).describe('when given, one of these words must follow the program (`code tunnel`)'),
  domains: z.array(z.string().min(1)).default([]).describe('the service: proxied hosts in these domains match'),
  sshDestination: z.boolean().default(false).describe('an SSH client whose destination is in domains matches (ssh -R 80:localhost:3000 serveo.net)'),
  source: z.string().url(),
});
export type CatalogueTool = z.output<typeof CatalogueToolSchema>;
export const CatalogueFileSchema = z.strictObject({ tools: z.array(CatalogueToolSchema) });

const PACKAGE_RUNNERS = new Set(['npx', 'pnpx', 'bunx', 'pipx', 'uvx', 'dlx']);
const SSH_CLIENTS = new Set(['ssh', 'autossh', 'dbclient', 'plink']);

function inDomains(host: string, domains: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return domains.some((d) => h === d || h.endsWith(`.${d}`));
}

/** The catalogue, compiled: lookups by program name, domain checks. */
export class ToolCatalogue {
  private readonly byProgram = new Map<string, CatalogueTool[]>();

  constructor(readonly tools: readonly CatalogueTool[]) {
    for (const t of tools) {
      for (const p of t.programs) this.byProgram.set(p, [...(this.byProgram.get(p) ?? []), t]);
    }
  }

  private label(t: CatalogueTool): string {
    return `${t.technique} ${t.id}`;
  }

  /** `technique id` of every entry the commands name. */
  commands(commands: readonly SimpleCommand[]): string[] {
    const found = new Set<string>();
    for (const c of commands) {
      const words = c.argv.map((w) => w.value ?? '');
      let name = programBasename(c.program);
      let rest = words.slice(1);
      // npx localtunnel, pipx run sshuttle, python3 -m sshuttle: the package is the program
      if (PACKAGE_RUNNERS.has(name) || /^python[0-9.]*$/.test(name)) {
        const m = name.startsWith('python') ? rest.indexOf('-m') : rest.findIndex((w) => !w.startsWith('-') && w !== 'run');
        const at = name.startsWith('python') ? (m < 0 ? -1 : m + 1) : m;
        if (at >= 0 && rest[at] !== undefined) {
          name = programBasename(rest[at].replace(/@[^/]*$/, ''));
          rest = rest.slice(at + 1);
        }
      }
      for (const t of this.byProgram.get(name) ?? []) {
        if (t.args.length === 0 || rest.some((w) => t.args.includes(w))) found.add(this.label(t));
      }
      if (SSH_CLIENTS.has(name)) {
        for (const w of rest) {
          const host = w.replace(/^[^@]*@/, '').replace(/:.*$/, '');
          for (const t of this.tools) if (t.sshDestination && inDomains(host, t.domains)) found.add(this.label(t));
        }
      }
    }
    return [...found];
  }

  /** `technique id` of every entry whose service the host belongs to. */
  host(host: string): string[] {
    return this.tools.filter((t) => t.domains.length > 0 && inDomains(host, t.domains)).map((t) => this.label(t));
  }
}

/**
 * The catalogue files as the build parsed them (dist/detect/builtin-rules.json, by the sha256 of their
 * text, as the built-in rules): loading skips the YAML parser; an edited file misses and is parsed.
 */
function buildCache(): ReadonlyMap<string, unknown> {
  try {
    const cache = JSON.parse(readFileSync(new URL('./builtin-rules.json', import.meta.url), 'utf8')) as { documents?: Record<string, unknown> };
    return new Map(Object.entries(cache.documents ?? {}));
  } catch {
    return new Map();
  }
}

/** Folder of the built-in catalogue: rules/catalogue at the package root. */
export function builtinCatalogueDir(): string {
  return fileURLToPath(new URL('../../rules/catalogue/', import.meta.url));
}

/** Loads every *.yaml of a catalogue folder; never throws. Ids must be unique. */
export function loadCatalogue(dir = builtinCatalogueDir()): { catalogue: ToolCatalogue; errors: string[] } {
  const tools: CatalogueTool[] = [];
  const errors: string[] = [];
  const cached = buildCache();
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort();
  } catch (err) {
    errors.push(`${dir}: cannot read: ${(err as Error).message}`);
  }
  for (const name of names) {
    const source = `rules/catalogue/${name}`;
    const text = readFileSync(join(dir, name), 'utf8');
    let value: unknown = cached.get(createHash('sha256').update(text).digest('hex'));
    if (value === undefined) {
      const doc = parseYamlDocument(text);
      const first = doc.errors[0];
      if (first !== undefined) {
        errors.push(`${source}: ${first.message.split('\n')[0] ?? first.message}`);
        continue;
      }
      const plain = yamlValue(doc);
      if (!plain.ok) {
        errors.push(`${source}: ${plain.error}`);
        continue;
      }
      value = plain.value;
    }
    const parsed = CatalogueFileSchema.safeParse(value);
    if (!parsed.success) {
      errors.push(...formatIssues(parsed.error.issues).map((m) => `${source}: ${m}`));
      continue;
    }
    tools.push(...parsed.data.tools);
  }
  const seen = new Set<string>();
  for (const t of tools) {
    if (seen.has(t.id)) errors.push(`rules/catalogue: id "${t.id}" is used twice`);
    seen.add(t.id);
  }
  return { catalogue: new ToolCatalogue(tools), errors };
}

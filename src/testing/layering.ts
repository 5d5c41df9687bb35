// The layering rule of docs/architecture.md, as code: which top-level folder of src/ may import
// which, that product code never imports a test kit, that only sandbox/ reaches a backend's
// implementation (the rest codes against the contract), and that no import cycle exists between
// files or folders. `layeringViolations` is pure (tests feed it made-up graphs); `importGraph`
// reads the real tree with TypeScript's own import scanner.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * Bottom to top. A folder imports its own files and folders below it only. Folders not present yet
 * are named so their place is fixed before they arrive.
 */
export const LAYERS: readonly string[] = [
  'core', // errors, zod issue formatting: what every folder shares
  'shell', // shell command parsing
  'sandbox', // the Sandbox contract, the local backend, the factory
  'monitor', // events and the monitors that produce them
  'detect', // rules over events -> alerts
  'policy', // action-layer policy
  'guard', // the hub: watches sandboxes, raises alerts, enforces
  'agent', // tools, policies, model clients, the model gateway
  'episode', // episodes drive agents in guarded sandboxes; the episode store
  'redteam', // the fake world and scenarios run as episodes
  'bench', // figures of the sandbox, guard and episodes (its targets include the red team's pool)
  'api', // the environment protocol over HTTP
  'service', // the daemon
  'mcp', // the guarded sandbox as MCP tools (stdio in-process; the daemon mounts its HTTP endpoint)
  'client', // the TypeScript client of the service
  'cli', // the praetor command
  'dashboard',
];

/**
 * The package entry (`import ... from 'praetor'`): the one file outside the folders. It sits above
 * every layer and lists what the package exports (the local backend included, for library users);
 * no module of src/ may import it.
 */
export const PACKAGE_ENTRY = 'index.ts';

/** Test files and test kits: they may import anything; no product module may import them. */
export function isTestSupport(file: string): boolean {
  return (
    file.startsWith('testing/') ||
    /(^|\/)(invariants|fixtures)\//.test(file) ||
    file.endsWith('.test.ts') ||
    /-(conformance|fixtures?)\.ts$/.test(file)
  );
}

/** src-relative file path -> the src-relative files it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** Backend implementations: outside sandbox/ product code sees the contract and openBackend only. */
const BACKEND_IMPLEMENTATIONS = /^sandbox\/local\/local-(backend|sandbox)\.ts$/;

export interface Violation {
  readonly kind: 'unknown-folder' | 'upward-import' | 'imports-test-kit' | 'imports-backend' | 'file-cycle' | 'folder-cycle';
  readonly detail: string;
}

function folderOf(file: string): string {
  return file.split('/')[0] ?? file;
}

function layerOf(folder: string): number | null {
  const i = LAYERS.indexOf(folder);
  return i < 0 ? null : i;
}

/** Strongly connected components with more than one member (or a self-import): Tarjan's algorithm. */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) ?? 0);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

export function layeringViolations(graph: ImportGraph): Violation[] {
  const violations: Violation[] = [];
  const folders = new Map<string, Set<string>>();
  for (const [file, imports] of graph) {
    const from = folderOf(file);
    const test = isTestSupport(file);
    if (file === PACKAGE_ENTRY) {
      for (const target of imports) {
        if (isTestSupport(target)) violations.push({ kind: 'imports-test-kit', detail: `${file} imports the test kit ${target}` });
      }
      continue;
    }
    if (!file.includes('/') || (!test && layerOf(from) === null)) {
      violations.push({ kind: 'unknown-folder', detail: `${file} is in no folder of the layering rule` });
      continue;
    }
    for (const target of imports) {
      if (test) continue; // tests and test kits sit above every layer
      if (isTestSupport(target)) {
        violations.push({ kind: 'imports-test-kit', detail: `${file} imports the test kit ${target}` });
        continue;
      }
      const to = folderOf(target);
      if (from !== 'sandbox' && BACKEND_IMPLEMENTATIONS.test(target)) {
        violations.push({ kind: 'imports-backend', detail: `${file} imports ${target}: use the Sandbox contract and openBackend` });
      }
      if (to === from) continue;
      const [a, b] = [layerOf(from), layerOf(to)];
      if (a !== null && (b === null || b >= a)) {
        violations.push({ kind: 'upward-import', detail: `${file} (${from}) imports ${target} (${to}): ${to} is not below ${from}` });
      }
      if (!folders.has(from)) folders.set(from, new Set());
      folders.get(from)?.add(to);
    }
  }
  for (const cycle of cyclesOf(graph)) violations.push({ kind: 'file-cycle', detail: cycle.join(' <-> ') });
  const folderGraph = new Map([...folders].map(([f, to]) => [f, [...to]]));
  for (const cycle of cyclesOf(folderGraph)) violations.push({ kind: 'folder-cycle', detail: cycle.join(' <-> ') });
  return violations;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every relative import (static, type-only, re-export, dynamic) of every .ts file under `srcDir`. */
export function importGraph(srcDir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const rel = (path: string): string => relative(srcDir, path).split(sep).join('/');
  for (const path of sourceFiles(srcDir)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
    const imports = importedFiles
      .map((f) => f.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => rel(resolve(dirname(path), spec.replace(/\.js$/, '.ts'))));
    graph.set(rel(path), [...new Set(imports)]);
  }
  return graph;
}

// The package as its users import it: by name, through package.json `exports` (Node resolves a
// package's own name from inside it), never from dist/ paths; and the client's light paths load
// no zod, hono or guard.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

describe('package exports', () => {
  it('import("praetor") gives the client and the library', async () => {
    const praetor = (await import('praetor')) as Record<string, unknown>;
    for (const name of ['Praetor', 'PraetorApiError', 'SandboxHandle', 'Guard', 'LocalBackend', 'openBackend', 'SandboxOptionsSchema', 'RolloutEnvironment', 'runEpisode', 'openEpisodeStore', 'PraetorError', 'loadBuiltinRules']) {
      assert.ok(praetor[name] !== undefined, `praetor exports ${name}`);
    }
    assert.equal(typeof praetor.Praetor, 'function');
  });

  it('import("praetor/client") gives the client alone', async () => {
    const client = (await import('praetor/client')) as Record<string, unknown>;
    assert.equal(typeof client.Praetor, 'function');
    assert.equal(client.Guard, undefined);
  });

  it('declares types for both entry points', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      types: string;
      exports: Record<string, { types: string; default: string }>;
    };
    assert.equal(pkg.types, './dist/index.d.ts');
    for (const entry of ['.', './client']) {
      const e = pkg.exports[entry];
      assert.ok(e, entry);
      readFileSync(new URL(`../../${e.types}`, import.meta.url)); // throws if the build did not emit it
      readFileSync(new URL(`../../${e.default}`, import.meta.url));
    }
  });
});

/** Every module `entry` loads through static imports (dynamic `import()` is loaded only when it runs). */
function staticClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    // Compiled ESM: `import ... from 'x'` and `export ... from 'x'` (type-only imports are erased).
    for (const m of text.matchAll(/^(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]/gm)) {
      const spec = m[1] ?? m[2] ?? '';
      if (spec.startsWith('.')) pending.push(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec.split('/')[0] ?? spec);
    }
  }
  return { files, packages };
}

describe('light paths', () => {
  const dist = fileURLToPath(new URL('../', import.meta.url));

  it('the client loads no package but eventsource-parser', () => {
    const { packages, files } = staticClosure(`${dist}client/index.js`);
    assert.deepEqual([...packages], ['eventsource-parser']);
    for (const f of files) assert.ok(f.startsWith(`${dist}client/`), `client imports ${f}`);
  });

  it('praetor run through praetord loads neither commander nor the guard nor zod', () => {
    const closures = ['cli/main.js', 'cli/run-request.js', 'cli/run-dispatch.js', 'cli/run-remote.js'].map((f) => staticClosure(`${dist}${f}`));
    for (const { packages, files } of closures) {
      for (const heavy of ['commander', 'zod', 'yaml', 'hono', '@hono', 'better-sqlite3']) assert.ok(!packages.has(heavy), `loads ${heavy}`);
      // relative to dist/: the checkout's own path may hold any of these names
      // the --gpus parser is the one sandbox module allowed: it imports only core/errors (checked by the closure)
      const light = new Set(['sandbox/gpu/gpu-selector.js']);
      for (const f of files) assert.ok(light.has(f.slice(dist.length)) || !/^(guard|sandbox|detect|episode|service)\//.test(f.slice(dist.length)), `loads ${f}`);
    }
  });
});

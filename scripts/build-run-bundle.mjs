// Bundles `praetor run`'s in-process path (dist/cli/run-local.js and what it imports) into
// dist/run-bundle/ with esbuild. A one-shot run without a daemon loads about 220 ES modules
// (zod alone 94 files); Node 20 resolves, reads, compiles and links each apart, and that took
// 210-260 ms of CPU per run against 120-135 ms for the same code in one file (paired runs, load 2).
// It is built from dist/ by every `npm run build`, so every install runs the same code either way;
// nothing is prepared at run time. run-dispatch.ts loads it (and dist/cli/run-local.js only where
// the build did not make it).
//
// - Every `import.meta.url` is rewritten to the original file's URL, relative to the bundle, so
//   paths to native helpers, rules and caches resolve as they do from dist/.
// - core/errors.js and cli/cli-errors.js stay outside (imported from dist/), so the errors the
//   bundle throws are the classes main's describeFailure() checks with instanceof.
// - zod's `locales` namespace (every language, 360 KB of source to parse at each run) is cut down
//   to English, the only one praetor uses (zod registers `en` itself; nothing calls z.config).
// - Packages the code loads with createRequire or import() on rare paths stay external.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const dist = path.resolve('dist');
const out = path.join(dist, 'run-bundle');
const shared = new Set(['core/errors.js', 'cli/cli-errors.js'].map((f) => path.join(dist, f)));

await build({
  entryPoints: [path.join(dist, 'cli/run-local.js')],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: out,
  minifyWhitespace: true,
  minifySyntax: true,
  external: ['web-tree-sitter'],
  logLevel: 'warning',
  // CommonJS packages inside the bundle call require() for Node's own modules.
  banner: { js: "import { createRequire as __praetorRequire } from 'node:module'; const require = __praetorRequire(import.meta.url);" },
  plugins: [
    {
      name: 'praetor-run-bundle',
      setup(b) {
        b.onResolve({ filter: /^\.\.?\// }, (a) => {
          const target = path.resolve(a.resolveDir, a.path);
          if (!shared.has(target)) return undefined;
          return { path: `./${path.relative(out, target)}`, external: true };
        });
        b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
          contents: 'export { default as en } from "./en.js";',
          loader: 'js',
          resolveDir: path.resolve('node_modules/zod/v4/locales'),
        }));
        b.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, async (a) => {
          const text = await readFile(a.path, 'utf8');
          if (!text.includes('import.meta.url')) return undefined;
          const original = JSON.stringify(path.relative(out, a.path));
          return { contents: text.replaceAll('import.meta.url', `new URL(${original}, import.meta.url).href`), loader: 'js' };
        });
      },
    },
  ],
});

// Builds the dashboard (src/dashboard/app) into dist/dashboard/assets: type-checked by tsc with the
// browser's lib, bundled and minified by esbuild (Preact, uPlot and the app in one app.js, every
// stylesheet in app.css), plus index.html. Prints the sizes; fails past the 200 KB JavaScript budget.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

const src = 'src/dashboard/app';
const out = 'dist/dashboard/assets';
const BUDGET = 200 * 1024;

mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: `${src}/main.tsx` },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(`${src}/index.html`, `${out}/index.html`);
const js = statSync(`${out}/app.js`).size;
const css = statSync(`${out}/app.css`).size;
const gz = gzipSync(readFileSync(`${out}/app.js`)).length;
console.log(`dashboard: app.js ${(js / 1024).toFixed(1)} KB (${(gz / 1024).toFixed(1)} KB gzip), app.css ${(css / 1024).toFixed(1)} KB`);
if (js > BUDGET) {
  console.error(`dashboard: app.js is over the ${BUDGET / 1024} KB budget`);
  process.exit(1);
}

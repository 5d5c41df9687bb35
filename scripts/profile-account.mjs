// Where a daemon's thread went, from a CPU profile: each sample is put in the first part whose
// pattern matches a frame of its stack (idle and GC by the sample's own frame). Used for the
// bench-episodes account in docs/benchmarks.md:
//   PRAETOR_BENCH_DAEMON_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" praetor bench-episodes --service
//   node scripts/profile-account.mjs DIR/CPU.*.cpuprofile 400
// Written by hand: a few lines over the .cpuprofile JSON, which no library groups this way.
import { readFileSync } from 'node:fs';
const prof = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const steps = Number(process.argv[3] ?? 400);
const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const rules = [
  ['idle (waiting on the kernel, helpers, clients)', /^\(idle\)/],
  ['garbage collector', /^\(garbage collector\)/],
  ['start-up (module loading, rule compile, monitors start)', /compileSourceTextModule|cjs\/loader|startMonitors|loadRules|warmRules|rule-loader|moduleEvaluation|esm\/(loader|module_job)/],
  ['sandbox teardown (kill, rmdir leaves, netns)', /teardown\.js|removeSandbox|destroy@/],
  ['sandbox creation (pool refill and fresh: bwrap, init, cell, nft, bait, leaves ahead)', /create@sandbox\/local\/local-backend|sandbox-pool|launchInit|configureCell|createCellNamespace|plantBait|prepareDirs/],
  ['step cgroup leaves made ahead (mkdir) + nft step rules', /stepMatches|createLeaf|addCellStepRules/],
  ['SQLite store (durable steps, synchronous=full)', /sqlite-store|better-sqlite3/],
  ['process monitor events + rule engine + guard', /process-monitor\.js|rule-engine|rule-compiler|guard\/|detect\/|file-monitor|resource-sampler|socket-s/],
  ['exec via the spawner (frame write, pipe reads, exit)', /spawner|exec-runner|runStep|execStep/],
  ['nflog flush per step', /nflog-reader/],
  ['HTTP server, hono, zod, request log', /index\.mjs|hono|zod|_http_|pino|service-app|routes\//],
  ['episode / env protocol logic', /episode\/|env-service|agent\//],
];
const tot = new Map(); let total = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const d = prof.timeDeltas[i] ?? 0; total += d;
  const frames = []; let cur = prof.samples[i];
  while (cur !== undefined) { const c = nodes.get(cur).callFrame; frames.push(`${c.functionName}@${c.url.replace(/^.*\/(dist|node_modules)\//, '')}`); cur = parent.get(cur); }
  const top = frames[0];
  let cat = 'other (node internals, timers, misc)';
  for (const [name, re] of rules) {
    if (name.startsWith('idle') || name.startsWith('garbage')) { if (re.test(top)) { cat = name; break; } continue; }
    if (frames.some((f) => re.test(f))) { cat = name; break; }
  }
  tot.set(cat, (tot.get(cat) ?? 0) + d);
}
console.log(`daemon thread: ${(total / 1e6).toFixed(2)} s profiled, ${steps} steps`);
for (const [k, t] of [...tot].sort((a, b) => b[1] - a[1])) console.log(`${(100 * t / total).toFixed(1).padStart(5)}%  ${(t / 1000 / steps).toFixed(2).padStart(6)} ms/step  ${k}`);

#!/usr/bin/env node
// Fleet benchmark (root, PostgreSQL installed; run after `npm run build`): one node daemon behind
// one front, in the same run: creates per second and exec latency (p50/p99) through the front and
// directly against the node's own API (a single daemon). Prints the figures; asserts nothing.
//   node scripts/bench-fleet.mjs [creates=20] [execs=200] [concurrency=4]
import { Praetor } from '../dist/client/index.js';
import { startFleetWorld } from '../dist/testing/fleet-world.js';

const [creates = 20, execs = 200, concurrency = 4] = process.argv.slice(2).map(Number);
const world = await startFleetWorld({ nodes: 1, fronts: 1, slots: 1000, heartbeatTimeoutS: 10, loopback: true });
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function measure(name, host) {
  const client = new Praetor({ host, apiKey: world.adminKey });
  const ids = [];
  let started = performance.now();
  for (let w = 0; w < concurrency; w++) ids.push([]);
  await Promise.all(ids.map(async (mine, w) => {
    for (let i = w; i < creates; i += concurrency) mine.push((await client.sandboxes.create()).id);
  }));
  const createS = (performance.now() - started) / 1000;
  const all = ids.flat();
  const times = [];
  let next = 0;
  started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < execs) {
      const id = all[next++ % all.length];
      const t = performance.now();
      await client.sandboxes.exec(id, ['true']);
      times.push(performance.now() - t);
    }
  }));
  times.sort((a, b) => a - b);
  for (const id of all) await client.sandboxes.destroy(id);
  const row = { path: name, creates, createsPerS: +(creates / createS).toFixed(1), execs, execP50ms: +pct(times, 50).toFixed(1), execP99ms: +pct(times, 99).toFixed(1) };
  console.log(JSON.stringify(row));
  return row;
}

try {
  const node = world.nodes[0];
  // the daemon's own loopback port (no forwarders in the way) against the front in front of it
  const direct = await measure('single daemon', node.address);
  const front = await measure('through a front', world.fronts[0]);
  console.log(`fleet bench: front/daemon creates/s ${(front.createsPerS / direct.createsPerS).toFixed(2)}x, exec p50 +${(front.execP50ms - direct.execP50ms).toFixed(1)} ms, p99 +${(front.execP99ms - direct.execP99ms).toFixed(1)} ms (concurrency ${concurrency})`);
} finally {
  await world.close();
}

#!/usr/bin/env node
// Fleet benchmark on a throwaway PostgreSQL (root, Debian's postgresql installed; after `npm run
// build`): starts the server, then runs `praetor bench --fleet-only --fleet URL`, the bench's fleet
// section (src/cli/bench-fleet.ts): creates/s and exec p50/p99 through a front against the same
// node daemon alone, in the same run, interleaved. Prints the figures; asserts nothing.
//   node scripts/bench-fleet.mjs [iterations=20] [--json]
import { spawnSync } from 'node:child_process';
import { startPostgres } from '../dist/testing/postgres-harness.js';

const args = process.argv.slice(2);
const iterations = args.find((a) => /^\d+$/.test(a)) ?? '20';
const pg = startPostgres();
try {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', 'bench', '--fleet-only', '--fleet', pg.url('postgres'), '--iterations', iterations, ...(args.includes('--json') ? ['--json'] : [])], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} finally {
  pg.stop();
}

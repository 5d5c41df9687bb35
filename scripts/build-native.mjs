// Builds the native helpers with the system C compiler: native/praetor-spawn (the pre-exec
// helper), native/praetor-spawner (starts execs off node's main thread) and native/praetor-procmon
// (the process events reader), native/praetor-nflog (the reader of the network cells' denials).
// native/praetor-fanotify reports reads of the bait and credential files praetor watches.
// Also native/praetor-miner, the red team's real CPU miner (threads: glibc 2.34+ needs no -pthread).
// Static when the C library allows it, so the sandbox's PID 1 needs nothing from the base image.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

const HELPERS = ['praetor-spawn', 'praetor-spawner', 'praetor-procmon', 'praetor-nflog', 'praetor-fanotify', 'praetor-miner', 'praetor-devfilter'];
mkdirSync('native/build', { recursive: true });
const cc = process.env.CC ?? 'cc';
for (const name of HELPERS) {
  const src = `native/${name}.c`;
  const flags = ['-O2', '-Wall', '-Wextra', '-Werror', '-o', `native/build/${name}`, src];
  let r = spawnSync(cc, ['-static', ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) r = spawnSync(cc, flags, { stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    console.error(`build-native: could not compile ${src} with ${cc}: ${r.error?.message ?? `exit ${r.status}`}`);
    console.error('install a C compiler (Debian: apt-get install gcc libc6-dev)');
    process.exit(1);
  }
}

// Builds the native helpers with the system C compiler: native/praetor-spawn (the pre-exec
// helper), native/praetor-spawner (starts execs off node's main thread) and native/praetor-procmon
// (the process events reader), native/praetor-nflog (the reader of the network cells' denials).
// native/praetor-fanotify reports reads of the bait and credential files praetor watches.
// Also native/praetor-miner, the red team's real CPU miner (threads: glibc 2.34+ needs no -pthread).
// Static when the C library allows it, so the sandbox's PID 1 needs nothing from the base image.
// Then native/praetor-run, the native client of `praetor run` through praetord (C++: libcurl,
// OpenSSL's libcrypto, nlohmann-json): required where PRAETOR_REQUIRE_NATIVE_CLIENT=1 (the quick start and so CI),
// optional elsewhere: without it the build warns in one line and `praetor run` uses node.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';

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

// Rebuilt only when its source changed: nlohmann-json makes it a 9 s compile on two cores.
const client = { src: 'native/praetor-run.cc', out: 'native/build/praetor-run' };
const mtime = (p) => statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? -1;
if (mtime(client.out) < mtime(client.src) || mtime(client.out) < mtime('scripts/build-native.mjs')) {
  const cxx = process.env.CXX ?? 'c++';
  // libstdc++ linked in: one shared library less to load and relocate at every start.
  const r = spawnSync(cxx, ['-O2', '-std=c++17', '-Wall', '-Wextra', '-Werror', '-static-libstdc++', '-static-libgcc', '-o', client.out, client.src, '-lcurl', '-lcrypto'], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.error || r.status !== 0) {
    rmSync(client.out, { force: true }); // never a client older than its source
    const why = r.error?.message ?? r.stderr.toString().trim().split('\n').find((l) => /error/.test(l)) ?? `exit ${r.status}`;
    if (process.env.PRAETOR_REQUIRE_NATIVE_CLIENT === '1') {
      console.error(`build-native: could not compile ${client.src} with ${cxx}: ${why}`);
      console.error('install g++, libcurl4-openssl-dev, libssl-dev and nlohmann-json3-dev (Debian), or unset PRAETOR_REQUIRE_NATIVE_CLIENT');
      process.exit(1);
    }
    console.warn(`build-native: warning: no native client (${why}); \`praetor run\` uses node (apt-get install g++ libcurl4-openssl-dev libssl-dev nlohmann-json3-dev)`);
  }
}

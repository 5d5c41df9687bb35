// Ordinary coding work raises no alert: git, npm install from a (fake) registry, a `make -j2`
// that keeps both cores busy for 20 s, a test suite, a dev server started and stopped later.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { Guard } from '../guard.js';
import type { GuardStreamEvent } from '../guard-events.js';
import type { SandboxBackend } from '../../sandbox/backend.js';
import { openBackend } from '../../sandbox/open-backend.js';
import { StaticResolver } from '../../sandbox/network/resolver.js';
import { LOOPBACK_TARGET_CIDRS } from '../../bench/loopback-targets.js';
import { bash, summary } from '../../testing/guard-world.js';
import { REGISTRY_HOST, startFakeRegistry, type FakeRegistry } from '../../testing/fake-registry.js';

let guard: Guard;
let backend: SandboxBackend;
let registry: FakeRegistry;

before(async () => {
  if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
  registry = await startFakeRegistry();
  guard = new Guard({ resourceIntervalMs: 500, policy: { mode: 'block' } });
  await guard.start();
  const resolver = new StaticResolver({ [REGISTRY_HOST]: { address: '127.0.0.1', port: registry.port } });
  backend = openBackend({ resolver, allowCidrs: LOOPBACK_TARGET_CIDRS, observer: guard });
});
after(async () => {
  await backend.close();
  await guard.stop();
  await registry.close();
});

const BURN_C = String.raw`
#include <stdio.h>
#include <time.h>
int main(void) {
  time_t end = time(NULL) + 20;
  volatile unsigned long x = 0;
  while (time(NULL) < end) for (int i = 0; i < 1000000; i++) x += i * 2654435761u;
  printf("%lu\n", x & 1);
  return 0;
}
`;
const MAKEFILE = ['all: a.out.log b.out.log', '%.out.log: %', '\t./$< > $@', 'a b: burn.c', '\tcc -O1 -o $@ burn.c', ''].join('\n');

it('a day of ordinary coding work raises no alert', { timeout: 180_000 }, async () => {
  const sandbox = await backend.create({ cpus: 2, allowDomains: [REGISTRY_HOST] });
  // No alert is worth something only if the guard saw the work: every step, and its processes.
  const seen: GuardStreamEvent[] = [];
  const unsubscribe = guard.events.subscribe({ sandboxId: sandbox.id, kinds: ['step-start', 'step-end', 'process-start', 'resource-sample'] }, (e) => seen.push(e));
  const stepOf = new Map<string, number>();
  const steps: [string, string][] = [
    ['git', 'git init -q repo && cd repo && echo "# demo" > README.md && git add . && git -c user.email=dev@example.test -c user.name=dev commit -qm init && git log --oneline | wc -l'],
    ['npm install', `mkdir -p app && cd app && npm init -y >/dev/null && npm install --registry http://${REGISTRY_HOST}/ --no-audit --no-fund --no-update-notifier tiny-pad >/dev/null && node -e "console.log(require('tiny-pad').leftPad(1, 3))"`],
    ['make -j2', 'mkdir -p c && cd c && cat > burn.c && printf "%s" "$MAKEFILE" > Makefile && make -s -j2 && cat a.out.log b.out.log'],
    ['tests', "mkdir -p py && cd py && printf 'def add(a, b):\\n    return a + b\\n' > calc.py && printf 'import unittest, calc\\nclass T(unittest.TestCase):\\n    def test_add(self):\\n        self.assertEqual(calc.add(2, 3), 5)\\n' > test_calc.py && python3 -m unittest -q 2>&1 | tail -n 1"],
    ['dev server', 'cd py && nohup python3 -m http.server 8000 >/tmp/server.log 2>&1 & echo $! > /tmp/server.pid; sleep 1; echo started'],
    ['use server', 'sleep 2; curl -s -o /dev/null -w "%{http_code}" http://localhost:8000/calc.py'],
    ['stop server', 'kill "$(cat /tmp/server.pid)" && echo stopped'],
  ];
  for (const [name, script] of steps) {
    const r = await bash(sandbox, script, name === 'make -j2' ? { stdin: BURN_C, env: { MAKEFILE } } : {});
    assert.equal(r.exitCode, 0, `${name}: ${r.out}`);
    stepOf.set(name, r.step);
  }
  assert.ok(registry.requests.some((u) => u.endsWith('.tgz')), 'npm fetched the tarball through the proxy');
  await sandbox.flushNetworkEvents();
  await new Promise((resolve) => setTimeout(resolve, 1500)); // let the resource sampler see the end
  unsubscribe();
  // findings (a download, a look at the network) are kept with their steps; they are not alerts
  const alerts = guard.alerts(sandbox.id).filter((a) => a.finding !== true);
  assert.deepEqual(alerts.map((a) => a.ruleId), [], summary(alerts));
  for (const [name, step] of stepOf) {
    assert.ok(seen.some((e) => e.kind === 'step-start' && e.step === step), `the guard saw ${name} (step ${step}) start`);
    assert.ok(seen.some((e) => e.kind === 'step-end' && e.step === step), `the guard saw ${name} (step ${step}) end`);
  }
  // the process monitor tied the work's own processes to the step that ran them
  const ranIn = (exe: string): (number | null)[] =>
    seen.flatMap((e) => (e.kind === 'process-start' && e.exe !== null && e.exe.endsWith(`/${exe}`) ? [e.step] : []));
  assert.ok(ranIn('git').includes(stepOf.get('git') ?? -1), 'git was seen in its step');
  assert.ok(ranIn('make').includes(stepOf.get('make -j2') ?? -1), 'make was seen in its step');
  assert.ok(ranIn('curl').includes(stepOf.get('use server') ?? -1), 'curl was seen in its step');
  // and the resource sampler measured the 20 s build
  assert.ok(seen.some((e) => e.kind === 'resource-sample' && e.scope === 'step' && e.step === stepOf.get('make -j2') && e.cpuCores > 0.5), 'the build was sampled busy');
});

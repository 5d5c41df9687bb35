// Invariant: run outside the host's first network namespace (a container, `ip netns exec`), where
// the kernel's process events connector does not answer and /sys is remounted without the cgroup
// hierarchies, praetor says why in one line and exits 69 (EX_UNAVAILABLE): no stack trace, no
// write to host-only sysctls (net.netfilter.nf_log_all_netns exists only in the first namespace).
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../cli/exit-codes.js';

if (process.getuid?.() !== 0) {
  throw new Error('this invariant test needs root (ip netns); run it with sudo');
}

const MAIN = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
// Not praetor-*: `praetor gc` takes those for sandbox cells.
const ns = `pnsx-test-${randomBytes(4).toString('hex')}`;

before(() => {
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']); // as in a container
});
after(() => execFileSync('ip', ['netns', 'delete', ns]));

function praetorInNamespace(args: readonly string[]): { status: number | null; stderrLines: string[] } {
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  // Progress bars (bench) redraw on stderr; they are not messages.
  const stderrLines = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/[░█]/.test(l));
  return { status: r.status, stderrLines };
}

it('praetor run says in one line that the guard can not run here, and exits 69', () => {
  const r = praetorInNamespace(['run', '--', 'true']);
  assert.equal(r.status, EXIT.sandboxFailure, r.stderrLines.join('\n'));
  assert.equal(r.stderrLines.length, 1, r.stderrLines.join('\n'));
  assert.match(r.stderrLines[0] ?? '', /^praetor: .*network namespace.*first one/);
  assert.doesNotMatch(r.stderrLines[0] ?? '', /\bat .*\.js:\d+/);
});

it('praetor bench (a backend without the guard) says in one line what is missing, and exits 69', () => {
  const r = praetorInNamespace(['bench', '--iterations', '1', '--concurrent', '0', '--skip-srt']);
  assert.equal(r.status, EXIT.sandboxFailure, r.stderrLines.join('\n'));
  assert.equal(r.stderrLines.length, 1, r.stderrLines.join('\n'));
  assert.match(r.stderrLines[0] ?? '', /^praetor: no usable cgroup hierarchy.*ip netns exec/);
});

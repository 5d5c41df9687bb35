// Invariant: a sandbox never has the invoking terminal: under a pty, /dev/tty inside can not be
// opened, so nothing in the sandbox reads from or writes to the user's terminal.
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

// Each line says what one probe found; the first writes a marker that must never reach the pty.
const INSIDE = [
  'if (echo PRAETOR-TTY-MARKER > /dev/tty) 2>/dev/null; then echo write=opened; else echo write=refused; fi',
  'python3 -c "import os\ntry:\n    os.open(\'/dev/tty\', os.O_RDWR); print(\'open=opened\')\nexcept OSError as e:\n    print(\'open=\' + str(e.errno))"',
  // field 7 of /proc/PID/stat is the controlling terminal (0: none), for every process inside
  'for s in /proc/[0-9]*/stat; do cut -d" " -f7 "$s"; done | sort -u | tr "\\n" " " | sed "s/^/ttys=/"; echo',
].join('; ');

it('/dev/tty inside a sandbox started from a terminal does not reach that terminal', () => {
  if (process.getuid?.() !== 0) throw new Error('security invariant tests need root (CI runs as root)');
  // script(1) runs praetor on a new pty whose controlling terminal is that pty, as a user's shell would.
  const command = [process.execPath, CLI, 'run', '--guard', 'monitor', '--', 'sh', '-c', INSIDE].map(shellQuote).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const out = r.stdout.replace(/\r/g, '');
  assert.doesNotMatch(out, /PRAETOR-TTY-MARKER/, 'the sandbox wrote to the terminal');
  assert.match(out, /write=refused/);
  assert.match(out, /open=6\b/, 'open(/dev/tty) must fail with ENXIO'); // ENXIO: no controlling terminal
  assert.match(out, /ttys=0 \n/, `a process inside has a controlling terminal: ${out}`);
});

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

// `praetor mcp` refuses bad flags before it starts anything: one line on stderr, a documented exit
// code, nothing on stdout (which belongs to the protocol). Runs anywhere: no sandbox is made.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../exit-codes.js';

const CLI = fileURLToPath(new URL('../main.js', import.meta.url));

function mcp(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'mcp', ...args], { encoding: 'utf8', timeout: 60_000, input: '', env: { ...process.env, PRAETOR_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('praetor mcp: bad flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'praetor-mcp-flags-'));
  writeFileSync(join(dir, 'file'), 'x');
  const cases: [string[], number, RegExp][] = [
    [['--workspace', join(dir, 'missing')], EXIT.noInput, /^praetor: cannot read .*missing: no such file or directory$/],
    [['--workspace', join(dir, 'file')], EXIT.noInput, /--workspace must be a directory$/],
    [['--guard', 'bogus'], EXIT.usage, /Allowed choices are monitor, block, freeze, terminate/],
    [['--memory', 'lots'], EXIT.usage, /^praetor: invalid sandbox options: memory: not a size: lots/],
    [['--cpus', '0'], EXIT.usage, /^praetor: invalid sandbox options: cpus: /],
    [['--allow-domain', 'not a domain'], EXIT.usage, /^praetor: invalid sandbox options: allowDomains\[0\]: /],
    [['--policy-mode', 'ask'], EXIT.usage, /--policy-mode needs --policy/],
  ];
  for (const [args, code, says] of cases) {
    it(args.join(' '), () => {
      const r = mcp(...args);
      assert.equal(r.status, code, r.stderr);
      assert.equal(r.stdout, '');
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] ?? '', says);
    });
  }
});

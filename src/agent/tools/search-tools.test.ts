import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeSandbox } from '../../testing/fake-sandbox.js';
import { grepArgv, grepTool } from './grep-tool.js';
import { listDirTool } from './list-dir-tool.js';
import type { Tool } from './tool.js';
import type { ToolResult } from '../agent-types.js';

async function run(tool: Tool, sandbox: FakeSandbox, args: unknown): Promise<ToolResult> {
  const built = tool.build(args);
  assert.ok(built.ok, built.ok ? '' : built.error);
  return built.invocation.execute(sandbox);
}

describe('list_dir', () => {
  it('runs ls -la -- on /workspace by default', async () => {
    const sandbox = new FakeSandbox({ exec: () => ({ stdout: 'total 0\n-rw-r--r-- 1 u u 0 a.txt\n' }) });
    const result = await run(listDirTool(), sandbox, {});
    assert.deepEqual(sandbox.execs[0]?.argv, ['ls', '-la', '--', '/workspace']);
    assert.deepEqual(result, { observation: { content: 'total 0\n-rw-r--r-- 1 u u 0 a.txt', isError: false, denied: false }, sandboxSteps: [1] });
  });

  it('passes a leading dash as a path, and reports ls errors', async () => {
    const sandbox = new FakeSandbox({ exec: () => ({ exitCode: 2, stderr: "ls: cannot access '/workspace/-rf': No such file or directory\n" }) });
    const { observation } = await run(listDirTool(), sandbox, { path: '-rf' });
    assert.deepEqual(sandbox.execs[0]?.argv, ['ls', '-la', '--', '/workspace/-rf']);
    assert.equal(observation.content, "cannot list /workspace/-rf: ls: cannot access '/workspace/-rf': No such file or directory");
    assert.equal(observation.isError, true);
  });
});

describe('grep', () => {
  it('passes pattern, path and glob as arguments of a fixed script', async () => {
    const sandbox = new FakeSandbox({ exec: () => ({ stdout: '/workspace/a.ts:3:const x = 1;\n' }) });
    const result = await run(grepTool(), sandbox, { pattern: 'const x', glob: '*.ts', ignore_case: true });
    const argv = sandbox.execs[0]?.argv ?? [];
    assert.deepEqual(argv.slice(0, 2), ['sh', '-c']);
    assert.deepEqual(argv.slice(3), ['grep', 'const x', '/workspace', '*.ts']);
    assert.match(argv[2] ?? '', /rg .*--ignore-case --glob "\$3" -e "\$1" -- "\$2"/);
    assert.match(argv[2] ?? '', /grep -rnHEI --exclude-dir=\.git -i --include="\$3" -e "\$1" -- "\$2"/);
    assert.equal(result.observation.content, '/workspace/a.ts:3:const x = 1;');
  });

  it('reads exit 1 as no matches and 2 as an error', async () => {
    const none = await run(grepTool(), new FakeSandbox({ exec: () => ({ exitCode: 1 }) }), { pattern: 'x' });
    assert.deepEqual(none.observation, { content: 'no matches', isError: false, denied: false });
    const bad = await run(grepTool(), new FakeSandbox({ exec: () => ({ exitCode: 2, stderr: 'grep: Unmatched ( or \\(\n' }) }), { pattern: '(' });
    assert.deepEqual(bad.observation, { content: 'grep: Unmatched ( or \\(\nexit code 2', isError: true, denied: false });
  });

  it('caps the number of lines and their length', async () => {
    const lines = Array.from({ length: 250 }, (_, i) => `/workspace/f:${i}:${i === 0 ? 'y'.repeat(600) : 'x'}`).join('\n');
    const { observation } = await run(grepTool(), new FakeSandbox({ exec: () => ({ stdout: lines }) }), { pattern: 'x|y' });
    const out = observation.content.split('\n');
    assert.equal(out.length, 201);
    assert.equal(out.at(-1), '[50 more matching lines not shown]');
    assert.ok(out[0]?.endsWith(' [line cut]'));
  });

  // The argv builder, run with fixed test inputs against the host's rg and grep, checks the quoting
  // for real: the model's text must reach the search as data, never as shell code.
  describe('script against real tools', () => {
    let dir = '';
    let noRgPath = '';
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'praetor-grep-'));
      mkdirSync(join(dir, 'ws', 'sub'), { recursive: true });
      writeFileSync(join(dir, 'ws', 'a.ts'), 'let v = "$(touch pwned)";\nOther\n');
      writeFileSync(join(dir, 'ws', 'sub', 'b.md'), 'other line\n');
      noRgPath = join(dir, 'bin');
      mkdirSync(noRgPath);
      for (const tool of ['sh', 'grep']) {
        const which = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
        if (which !== '') symlinkSync(which, join(noRgPath, tool));
      }
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const hasRg = spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).status === 0;
    for (const variant of ['grep', 'rg'] as const) {
      it(`finds matches with ${variant} and never runs the pattern`, { skip: variant === 'rg' && !hasRg ? 'rg not installed' : false }, () => {
        const exec = (args: Parameters<typeof grepArgv>[0]) => {
          const [cmd, ...rest] = grepArgv(args);
          const env = variant === 'grep' ? { PATH: noRgPath } : process.env;
          return spawnSync(cmd ?? 'sh', rest, { cwd: dir, env, encoding: 'utf8' });
        };
        const ws = join(dir, 'ws');
        const literal = exec({ pattern: '"\\$\\(touch pwned\\)"', path: ws });
        assert.equal(literal.status, 0, literal.stderr);
        assert.equal(literal.stdout, `${ws}/a.ts:1:let v = "$(touch pwned)";\n`);
        assert.equal(existsSync(join(dir, 'pwned')), false);
        const folded = exec({ pattern: 'other', path: ws, glob: '*.md', ignoreCase: true });
        assert.equal(folded.stdout, `${ws}/sub/b.md:1:other line\n`);
        assert.equal(exec({ pattern: 'absent', path: ws }).status, 1);
      });
    }
  });
});

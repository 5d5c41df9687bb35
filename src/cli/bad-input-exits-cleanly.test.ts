// Every bad input to the CLI ends as one line on stderr and a documented exit code, never a stack
// trace: unknown flags and commands, bad numbers, files that are missing or can not be created,
// a YAML alias bomb, a catastrophic rule regex. None of these cases creates a sandbox or opens the
// episode store, so they run anywhere.
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from './exit-codes.js';

const CLI = fileURLToPath(new URL('./main.js', import.meta.url));
const README = fileURLToPath(new URL('../../README.md', import.meta.url));

const BOMB = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
  .concat('bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`))
  .join('\n');
const REDOS_RULES = `rules:
  - id: redos
    title: A regex that backtracks exponentially in JavaScript
    technique: T1496
    severity: low
    description: (a+)+$ on a long line of a's
    match:
      event: process-start
      where: { field: argvText, op: regex, value: '(a+)+$' }
`;

let dir = '';
let missing = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'praetor-cli-'));
  missing = join(dir, 'missing');
  writeFileSync(join(dir, 'bomb.yaml'), `${BOMB}\n`);
  // a script is a list of steps: the same bomb, as one
  writeFileSync(join(dir, 'bomb-list.yaml'), `${BOMB.split('\n').map((l) => `- ${l}`).join('\n')}\n`);
  writeFileSync(join(dir, 'redos.yaml'), REDOS_RULES);
  const event = { kind: 'process-start', time: 1, sandboxId: 'sb-1', step: 1, pid: 2, ppid: 1, uid: 0, exe: '/x', argv: ['x', `${'a'.repeat(100_000)}!`], cwd: '/' };
  writeFileSync(join(dir, 'redos.jsonl'), `${JSON.stringify(event)}\n`);
  writeFileSync(join(dir, 'task.yaml'), 'id: t\ninstruction: do it\n');
  writeFileSync(join(dir, 'empty.jsonl'), '');
  mkdirSync(join(dir, 'scenarios', 'adversarial'), { recursive: true });
  writeFileSync(join(dir, 'scenarios', 'adversarial', 'bomb.yaml'), `${BOMB}\n`);
});

function praetor(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PRAETOR_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One line on stderr, "praetor: ...", matching `says`, no stack frame, and the code. */
function assertClean(args: readonly string[], code: number, says: RegExp): void {
  const r = praetor(...args);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(r.status, code, `praetor ${args.join(' ')}: exit ${r.status}, stderr: ${r.stderr}`);
  assert.equal(lines.length, 1, `praetor ${args.join(' ')}: one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0] ?? '', /^praetor: /);
  assert.match(lines[0] ?? '', says);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
}

describe('bad input: one line, a documented code, no stack trace', () => {
  it('flags, commands and numbers', () => {
    assertClean(['run', '--frob', '--', 'true'], EXIT.usage, /unknown option '--frob'/);
    assertClean(['frob'], EXIT.usage, /unknown command 'frob'/);
    assertClean(['run'], EXIT.usage, /missing required argument/);
    assertClean(['run', '--guard', 'bogus', '--', 'true'], EXIT.usage, /Allowed choices/);
    assertClean(['run', '--timeout', '2147484', '--', 'true'], EXIT.usage, /--timeout is at most 2147483 seconds/);
    assertClean(['run', '--timeout', '1e99', '--', 'true'], EXIT.usage, /--timeout is at most/);
    assertClean(['run', '--timeout', 'abc', '--', 'true'], EXIT.usage, /--timeout needs a positive number/);
    assertClean(['run', '--cpus', '0', '--', 'true'], EXIT.usage, /--cpus needs a positive number/);
    assertClean(['run', '--env', 'NOEQUALS', '--', 'true'], EXIT.usage, /--env needs KEY=VALUE/);
    assertClean(['bench', '--iterations', 'x'], EXIT.usage, /needs a whole number/);
    assertClean(['filter'], EXIT.usage, /--clean/);
    assertClean(['redteam', '--suite', 'nope', '--list'], EXIT.usage, /unknown suite/);
  });

  it('missing input files, for every command that takes one', () => {
    assertClean(['run', '--workspace', missing, '--', 'true'], EXIT.noInput, /cannot read .*missing: no such file/);
    assertClean(['run', '--workspace', join(dir, 'task.yaml'), '--', 'true'], EXIT.noInput, /must be a directory/);
    assertClean(['episode', 'run', missing], EXIT.noInput, /cannot read/);
    assertClean(['episode', 'run', join(dir, 'task.yaml'), '--policy', `scripted:${missing}`], EXIT.noInput, /cannot read/);
    assertClean(['filter', '--clean', missing], EXIT.noInput, /cannot read/);
    assertClean(['filter', '--clean', dir], EXIT.noInput, /is a directory/);
    assertClean(['rules', 'test', missing], EXIT.noInput, /cannot read/);
    assertClean(['rules', 'test', join(dir, 'redos.yaml'), missing], EXIT.noInput, /cannot read/);
    assertClean(['rules', 'list', '--file', missing], EXIT.noInput, /cannot read/);
    assertClean(['redteam', '--scenarios', missing, '--list'], EXIT.noInput, /cannot read/);
  });

  it('outputs that can not be created fail before any work, without an unhandled error event', () => {
    assertClean(['export', '--out', join(missing, 'dir', 'f')], EXIT.cantCreate, /cannot write .*: no such file or directory/);
    assertClean(['filter', '--clean', '--out', join(missing, 'f'), join(dir, 'empty.jsonl')], EXIT.cantCreate, /cannot write/);
  });

  it('a YAML alias bomb in a rule, task, scenario or script file is refused', () => {
    assertClean(['rules', 'test', join(dir, 'bomb.yaml')], EXIT.usage, /alias bomb/);
    assertClean(['episode', 'run', join(dir, 'bomb.yaml'), '--policy', 'scripted:x'], EXIT.usage, /alias bomb/);
    assertClean(['episode', 'run', join(dir, 'task.yaml'), '--policy', `scripted:${join(dir, 'bomb-list.yaml')}`], EXIT.usage, /alias bomb/);
    assertClean(['redteam', '--scenarios', join(dir, 'scenarios'), '--list'], EXIT.usage, /alias bomb/);
  });

  it('a catastrophic rule regex runs in linear time', { timeout: 30_000 }, () => {
    const r = praetor('rules', 'test', join(dir, 'redos.yaml'), join(dir, 'redos.jsonl'));
    assert.equal(r.status, EXIT.ok, r.stderr);
    assert.match(r.stdout, /valid, 0 alert/);
  });

  it('--debug (or PRAETOR_DEBUG=1) adds the stack trace', () => {
    const r = praetor('--debug', 'rules', 'test', missing);
    assert.equal(r.status, EXIT.noInput);
    assert.match(r.stderr, /^praetor: cannot read/);
    assert.match(r.stderr, /^\s+at /m);
  });

  it('the README documents every exit code', () => {
    const readme = readFileSync(README, 'utf8');
    for (const [name, code] of Object.entries(EXIT)) assert.match(readme, new RegExp(`\`${code}\``), `exit code ${name} (${code})`);
  });
});

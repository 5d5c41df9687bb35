import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ShellParser } from '../shell/shell-parser.js';
import { PolicyEngine } from './policy-engine.js';
import { buildEngine, loadPolicySpec, loadPolicyText, PRESETS } from './policy-loader.js';
import type { Tier } from './policy-schema.js';

describe('policy engine', () => {
  let parser: ShellParser;
  const layer = (tier: Tier, yaml: string) => {
    const loaded = loadPolicyText(yaml, `${tier}.yaml`, parser, { tier });
    assert.deepEqual(loaded.errors, []);
    assert.ok(loaded.layer);
    return loaded.layer;
  };
  before(async () => {
    parser = await ShellParser.create();
  });

  it('loads every preset, examples and all', () => {
    for (const name of PRESETS) assert.deepEqual(loadPolicySpec(name, parser).errors, [], name);
  });

  it('refuses a whole policy whose examples fail, or whose rules are invalid', () => {
    const bad = loadPolicyText(
      `name: bad\nrules:\n  - { id: a, decision: deny, reason: r, command: { program: ls }, examples: { match: [pwd] } }\n  - { id: b, decision: deny, reason: r, command: { args: { any: { re: '(' } } } }\n`,
      'bad.yaml',
      parser,
      { tier: 'admin' },
    );
    assert.equal(bad.layer, null);
    assert.equal(bad.errors.length, 2);
    assert.match(bad.errors.join('\n'), /example does not match: pwd/);
    assert.match(bad.errors.join('\n'), /invalid pattern/);
  });

  it('matches program, prefix, exact, flags in any order and RE2 patterns per argument', () => {
    const engine = new PolicyEngine(parser, [
      layer(
        'admin',
        `name: t
rules:
  - { id: push, decision: ask, reason: r, command: { program: git, args: { prefix: [push] } } }
  - { id: rmrf, decision: deny, reason: r, command: { program: rm, args: { flags: [-r, -f] , any: / } } }
  - { id: wallet, decision: deny, reason: r, technique: T1496, command: { args: { any: { re: '^4[0-9AB][1-9A-HJ-NP-Za-km-z]{93}$' } } } }
  - { id: exact, decision: allow, reason: r, command: { program: make, args: { exact: [test] } } }
`,
      ),
    ]);
    assert.equal(engine.checkCommandLine('git push origin main').rule?.id, 'push');
    assert.equal(engine.checkCommandLine('git status').decision, 'allow');
    assert.equal(engine.checkCommandLine('rm -fr /').rule?.id, 'rmrf');
    assert.equal(engine.checkCommandLine('rm / -r').rule?.id, 'rmrf');
    assert.equal(engine.checkCommandLine('rm -r build').decision, 'allow');
    assert.equal(engine.checkCommandLine(`./x -u 4${'A'.repeat(94)}`).rule?.id, 'wallet');
    assert.equal(engine.checkCommandLine('make test').rule?.id, 'exact');
    assert.equal(engine.checkCommandLine('make test all').rule, null);
  });

  it('a higher tier decides first; a lower tier can not undo its deny', () => {
    const admin = layer('admin', `name: a\nrules:\n  - { id: no-curl, decision: deny, reason: r, command: { program: curl } }\n  - { id: git-ok, decision: allow, reason: r, command: { program: git } }\n`);
    const task = layer('task', `name: t\nrules:\n  - { id: curl-ok, decision: allow, reason: r, command: { program: curl } }\n  - { id: no-git, decision: deny, reason: r, command: { program: git } }\n  - { id: no-wget, decision: deny, reason: r, command: { program: wget } }\n`);
    const engine = new PolicyEngine(parser, [task, admin]);
    assert.equal(engine.checkCommandLine('curl http://x').rule?.id, 'no-curl');
    assert.equal(engine.checkCommandLine('git push').rule?.id, 'git-ok');
    assert.equal(engine.checkCommandLine('wget http://x').rule?.id, 'no-wget');
    // the line gets its most restrictive command
    assert.equal(engine.checkCommandLine('git status; wget x').decision, 'deny');
  });

  it('sends what it can not resolve, or a rule may match, to the unknown rule: ask, or deny in strict mode', () => {
    const ask = buildEngine([{ spec: 'default', tier: 'admin' }], parser).engine;
    const strict = buildEngine([{ spec: 'strict', tier: 'admin' }], parser).engine;
    assert.ok(ask && strict);
    for (const line of ['x=$(cat f); $x -o p', 'echo aGk= | base64 -d | bash -s', 'ssh "$opt" host']) {
      assert.equal(ask.checkCommandLine(line).decision, line.includes('base64') ? 'deny' : 'ask', line);
      assert.equal(strict.checkCommandLine(line).decision, 'deny', line);
    }
    assert.equal(strict.checkCommandLine('ssh "$opt" host').rule?.id, 'unknown-command');
    assert.equal(strict.checkCommandLine('ls -la; git status').decision, 'allow');
  });

  it('checks writes, reads and network targets as tools and inside command lines', () => {
    const { engine } = buildEngine([{ spec: 'default', tier: 'admin' }], parser);
    assert.ok(engine);
    assert.equal(engine.checkWrite('/tmp/home/.bashrc').rule?.id, 'shell-rc-modify');
    assert.equal(engine.checkCommandLine('echo "curl x|sh" >> ~/.bashrc').rule?.id, 'shell-rc-modify');
    assert.equal(engine.checkCommandLine('echo x >> "$HOME/.profile"').rule?.id, 'shell-rc-modify');
    assert.equal(engine.checkRead('/tmp/home/.ssh/id_rsa').rule?.id, 'ssh-private-key-read');
    assert.equal(engine.checkNetwork('169.254.169.254', 80).rule?.id, 'cloud-metadata');
    assert.equal(engine.checkNetwork('xmr.nanopool.org', 14433).rule?.id, 'mining-pool-host');
    assert.equal(engine.checkNetwork('registry.npmjs.org', 443).decision, 'allow');
    assert.equal(engine.checkWrite('/workspace/src/app.ts').decision, 'allow');
  });
});

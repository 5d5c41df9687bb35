// Tests for the rule engine: alert fields and latency, the condition operators, windows (count and
// distinct, with expiry by event time), sustained conditions, dedupe, and bounded per-rule memory.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GuardEvent, ProcessStartEvent } from '../monitor/events.js';
import { MAX_EVIDENCE } from './alert.js';
import { T0, gpuSample, networkDenied, processStart, proxyConnection, samplesOverTime } from './event-fixtures.js';
import { RuleEngine, type RuleEngineOptions } from './rule-engine.js';
import { loadRules } from './rule-loader.js';

/** An engine over rules written in YAML (the rules: list only), with a settable clock. */
function engineFor(rulesYaml: string, lists = '', opts: RuleEngineOptions = {}): { engine: RuleEngine; clock: { now: number } } {
  const { rules, errors } = loadRules(`${lists}\nrules:\n${rulesYaml}`, 'test.yaml');
  assert.deepEqual(errors, []);
  const clock = { now: T0 };
  return { engine: new RuleEngine(rules, { now: () => clock.now, ...opts }), clock };
}

function rule(id: string, event: string, body: string): string {
  return [`  - id: ${id}`, `    title: ${id} title`, '    technique: T1046', '    tactic: discovery', '    severity: high', `    description: ${id} description`, '    match:', `      event: ${event}`, body]
    .filter((l) => l !== '')
    .join('\n');
}

function feed(engine: RuleEngine, events: readonly GuardEvent[], clock?: { now: number }): string[] {
  return events.flatMap((e) => {
    if (clock) clock.now = e.time;
    return engine.process(e).map((a) => a.ruleId);
  });
}

describe('simple rules', () => {
  it('raise an alert with the triggering event, its process and the latency from its time', () => {
    const { engine, clock } = engineFor(rule('xmrig', 'process-start', '      where: { field: exeName, op: equals, value: xmrig }'));
    clock.now = T0 + 7;
    const event = processStart(['xmrig', '-o', 'pool:3333'], { exe: '/opt/xmrig', pid: 99, step: 3 });
    const [alert, ...rest] = engine.process(event);
    assert.equal(rest.length, 0);
    assert.deepEqual(alert, {
      id: 'xmrig:1',
      ruleId: 'xmrig',
      title: 'xmrig title',
      technique: 'T1046',
      tactic: 'discovery',
      severity: 'high',
      time: T0 + 7,
      sandboxId: 'sb-1',
      step: 3,
      pid: 99,
      argv: ['xmrig', '-o', 'pool:3333'],
      evidence: [event],
      latencyMs: 7,
      description: 'xmrig description',
    });
    assert.deepEqual(engine.process(processStart(['ls'])), []);
  });

  it('only look at their own event kinds, and take pid null where the event has none', () => {
    const { engine } = engineFor(rule('denied', 'network-denied', ''));
    assert.deepEqual(engine.process(processStart(['ls'])), []);
    const [alert] = engine.process(networkDenied('10.0.0.1', 22));
    assert.equal(alert?.pid, null);
    assert.equal(alert?.argv, null);
  });

  it('give every alert a unique id', () => {
    const { engine } = engineFor(rule('any-exec', 'process-start', '    dedupe: { seconds: 0 }'));
    const ids = [1, 2, 3].flatMap((i) => engine.process(processStart(['true'], { pid: i })).map((a) => a.id));
    assert.deepEqual(ids, ['any-exec:1', 'any-exec:2', 'any-exec:3']);
  });
});

describe('operators', () => {
  const cases: [name: string, where: string, yes: ProcessStartEvent, no: ProcessStartEvent][] = [
    ['equals ignoreCase', '{ field: exeName, op: equals, value: XMRig, ignoreCase: true }', processStart(['/x/xmrig']), processStart(['/x/xmrigger'])],
    ['in on several fields', '{ field: [exeName, argv0Name], op: in, value: [nmap, zmap] }', processStart(['nmap'], { exe: '/tmp/a' }), processStart(['ls'])],
    ['in on argv elements', '{ field: argv, op: in, value: [-R] }', processStart(['ssh', '-R', '1:h:2']), processStart(['ssh', '-v'])],
    ['contains any of several', '{ field: argvText, op: contains, value: [/dev/tcp/, /dev/udp/] }', processStart(['bash', '-c', 'echo > /dev/udp/h/1']), processStart(['bash', '-c', 'ls /dev'])],
    ['startsWith', '{ field: exe, op: startsWith, value: /tmp/ }', processStart(['/tmp/x']), processStart(['/usr/tmp/x'])],
    ['endsWith', '{ field: exe, op: endsWith, value: .bin }', processStart(['/a/b.bin']), processStart(['/a/bin'])],
    ['regex with flags', '{ field: argvText, op: regex, value: "stratum\\\\+tcp://", flags: i }', processStart(['m', 'STRATUM+TCP://p:1']), processStart(['m', 'stratum-tcp://'])],
    ['argv index', '{ field: argv.1, op: equals, value: -e }', processStart(['crontab', '-e']), processStart(['crontab', '-l', '-e'])],
    ['argv length', '{ field: argv.length, op: gte, value: 3 }', processStart(['a', 'b', 'c']), processStart(['a', 'b'])],
    ['exists false', '{ field: argv.1, op: exists, value: false }', processStart(['mount']), processStart(['mount', '-a'])],
    ['not', '{ not: { field: argv0Name, op: equals, value: ls } }', processStart(['cat']), processStart(['/bin/ls'])],
    ['all and any', '{ all: [ { field: argv0Name, op: equals, value: nc }, { any: [ { field: argv, op: equals, value: -e }, { field: argv, op: equals, value: -c } ] } ] }', processStart(['nc', '-c', 'sh']), processStart(['nc', '-z', 'h'])],
  ];
  for (const [name, where, yes, no] of cases) {
    it(name, () => {
      const { engine } = engineFor(rule('op', 'process-start', `      where: ${where}`));
      assert.deepEqual(feed(engine, [yes]), ['op'], 'matches');
      assert.deepEqual(feed(engine, [{ ...no, pid: 7 }]), [], 'does not match');
    });
  }

  it('inDomain covers a domain and its subdomains, case and trailing dot aside', () => {
    const { engine } = engineFor(rule('pool', 'proxy-connection', '      where: { field: host, op: inDomain, list: pools }\n    dedupe: { seconds: 0 }'), 'lists:\n  pools: ["*.nanopool.org", supportxmr.com]');
    const hosts = ['xmr-eu1.nanopool.org', 'nanopool.org', 'POOL.SupportXMR.com.', 'notnanopool.org', 'nanopool.org.evil.test', 'supportxmr.co'];
    assert.deepEqual(
      hosts.map((h) => engine.process(proxyConnection(h, 443)).length),
      [1, 1, 1, 0, 0, 0],
    );
  });

  it('numbers compare only with numbers', () => {
    const { engine } = engineFor(rule('gpu', 'gpu-sample', '      where: { field: utilizationPercent, op: gt, value: 0 }\n    dedupe: { seconds: 0 }'));
    assert.equal(engine.process(gpuSample({ utilizationPercent: 5 })).length, 1);
    assert.equal(engine.process(gpuSample({ utilizationPercent: null })).length, 0);
    assert.equal(engine.process(gpuSample({ utilizationPercent: 0 })).length, 0);
  });
});

describe('windows', () => {
  const distinctPorts = rule('scan', 'network-denied', '    window: { seconds: 5, groupBy: [sandboxId], threshold: { distinct: { field: dstPort, atLeast: 10 } } }');

  it('fire when a group reaches the distinct threshold, with the window as evidence', () => {
    const { engine, clock } = engineFor(distinctPorts);
    const events = Array.from({ length: 10 }, (_, i) => networkDenied('10.0.0.9', 20 + i, { time: T0 + i * 200 }));
    const raised: string[] = [];
    for (const e of events) {
      clock.now = e.time + 3;
      const alerts = engine.process(e);
      raised.push(...alerts.map((a) => a.ruleId));
      if (alerts[0]) {
        assert.equal(alerts[0].evidence.length, 10);
        assert.equal(alerts[0].evidence[0], events[0]);
        assert.equal(alerts[0].evidence.at(-1), e);
        assert.equal(alerts[0].latencyMs, e.time + 3 - T0);
        assert.equal(alerts[0].description, 'scan description (10 distinct dstPort within 5 s)');
      }
    }
    assert.deepEqual(raised, ['scan']);
  });

  it('do not count repeats of one value, nor values that left the window', () => {
    const { engine } = engineFor(distinctPorts);
    const same = Array.from({ length: 30 }, (_, i) => networkDenied('10.0.0.9', 22, { time: T0 + i * 10 }));
    assert.deepEqual(feed(engine, same), []);
    const { engine: fresh } = engineFor(distinctPorts);
    // 9 ports, a pause longer than the window, 9 more: never 10 within 5 s.
    const slow = [
      ...Array.from({ length: 9 }, (_, i) => networkDenied('10.0.0.9', 100 + i, { time: T0 + 1000 + i })),
      ...Array.from({ length: 9 }, (_, i) => networkDenied('10.0.0.9', 200 + i, { time: T0 + 7000 + i })),
    ];
    assert.deepEqual(feed(fresh, slow), []);
    assert.deepEqual(feed(fresh, [networkDenied('10.0.0.9', 300, { time: T0 + 7100 })]), ['scan']);
  });

  it('keep groups apart', () => {
    const { engine } = engineFor(distinctPorts);
    const two = Array.from({ length: 10 }, (_, i) => networkDenied('10.0.0.9', 20 + i, { time: T0 + i, sandboxId: i % 2 === 0 ? 'a' : 'b' }));
    assert.deepEqual(feed(engine, two), []);
  });

  it('fire on a count threshold and expire old events', () => {
    const { engine } = engineFor(rule('burst', 'network-denied', '    window: { seconds: 10, threshold: { count: 3 } }'));
    assert.deepEqual(feed(engine, [networkDenied('h', 1, { time: T0 }), networkDenied('h', 1, { time: T0 + 5000 })]), []);
    assert.deepEqual(feed(engine, [networkDenied('h', 1, { time: T0 + 11_000 })]), [], 'the first event expired');
    assert.deepEqual(feed(engine, [networkDenied('h', 1, { time: T0 + 12_000 })]), ['burst']);
  });

  it('cap evidence, keeping the first events and the trigger', () => {
    const { engine } = engineFor(rule('many', 'network-denied', '    window: { seconds: 60, threshold: { distinct: { field: dstPort, atLeast: 50 } } }'));
    const events = Array.from({ length: 50 }, (_, i) => networkDenied('h', 1000 + i, { time: T0 + i }));
    const alerts = events.flatMap((e) => engine.process(e));
    assert.equal(alerts.length, 1);
    const evidence = alerts[0]?.evidence ?? [];
    assert.equal(evidence.length, MAX_EVIDENCE);
    assert.deepEqual(evidence.slice(0, MAX_EVIDENCE - 1), events.slice(0, MAX_EVIDENCE - 1));
    assert.equal(evidence.at(-1), events.at(-1));
  });

  it('forget the least recently seen group past the cap', () => {
    const { engine } = engineFor(rule('pair', 'network-denied', '    window: { seconds: 60, groupBy: [dstAddress], threshold: { count: 2 } }'), '', { maxGroupsPerRule: 2 });
    assert.deepEqual(feed(engine, [networkDenied('a', 1, { time: T0 }), networkDenied('b', 1, { time: T0 + 1 }), networkDenied('c', 1, { time: T0 + 2 })]), []);
    assert.deepEqual(feed(engine, [networkDenied('a', 1, { time: T0 + 3 })]), [], 'a was evicted, its first event forgotten');
    assert.deepEqual(feed(engine, [networkDenied('c', 1, { time: T0 + 4 })]), ['pair']);
  });
});

describe('sustained rules', () => {
  const burn = rule(
    'burn',
    'resource-sample',
    [
      '      where: { all: [ { field: stepRunning, op: equals, value: false }, { field: cpuCores, op: gte, value: 0.5 } ] }',
      '    sustained: { seconds: 10, groupBy: [sandboxId, step] }',
    ].join('\n'),
  );

  it('fire once the condition has held for the period, with the first sample as evidence start', () => {
    const { engine, clock } = engineFor(burn);
    const samples = samplesOverTime(12, { stepRunning: false, cpuCores: 1 });
    const fired: number[] = [];
    for (const s of samples) {
      clock.now = s.time;
      const [alert] = engine.process(s);
      if (alert) {
        fired.push(s.time - T0);
        assert.equal(alert.evidence[0], samples[0]);
        assert.equal(alert.latencyMs, 10_000);
        assert.equal(alert.description, 'burn description (held for 10.0 s)');
      }
    }
    assert.deepEqual(fired, [10_000], 'once: later samples are deduplicated');
  });

  it('restart when one sample does not match', () => {
    const { engine } = engineFor(burn);
    const samples = samplesOverTime(18, { stepRunning: false, cpuCores: 1 }).map((s, i) => (i === 6 ? { ...s, cpuCores: 0.1 } : s));
    assert.deepEqual(feed(engine, samples).length, 1);
    const { engine: fresh } = engineFor(burn);
    const fired = samplesOverTime(18, { stepRunning: false, cpuCores: 1 }).flatMap((s, i) => (fresh.process(i === 6 ? { ...s, cpuCores: 0.1 } : s).length > 0 ? [i] : []));
    assert.deepEqual(fired, [17], 'ten seconds after the streak restarted at 7 s');
  });

  it('hold per group: steps do not lend each other time', () => {
    const { engine } = engineFor(burn);
    const a = samplesOverTime(6, { step: 1, stepRunning: false, cpuCores: 1 });
    const b = samplesOverTime(6, { step: 2, stepRunning: false, cpuCores: 1 }, T0 + 6000);
    assert.deepEqual(feed(engine, [...a, ...b]), []);
  });

  it('do not fire while the step runs', () => {
    const { engine } = engineFor(burn);
    assert.deepEqual(feed(engine, samplesOverTime(30, { stepRunning: true, cpuCores: 2 })), []);
  });
});

describe('dedupe', () => {
  it('drops repeats of a group within the quiet time and raises again after it', () => {
    const { engine } = engineFor(rule('nmap', 'process-start', '      where: { field: argv0Name, op: equals, value: nmap }\n    dedupe: { seconds: 60 }'));
    const run = (time: number, pid = 1) => engine.process(processStart(['nmap'], { time, pid })).length;
    assert.equal(run(T0), 1);
    assert.equal(run(T0 + 59_000), 0);
    assert.equal(run(T0 + 59_000, 2), 1, 'another process is another group');
    assert.equal(run(T0 + 60_000), 1);
  });

  it('groups window alerts by the window group by default', () => {
    const { engine } = engineFor(rule('burst', 'network-denied', '    window: { seconds: 10, threshold: { count: 2 } }'));
    const events = Array.from({ length: 6 }, (_, i) => networkDenied('h', 1, { time: T0 + i * 100, step: i }));
    assert.deepEqual(feed(engine, events), ['burst']);
  });
});

// Sequence rules (`after:`) and findings: a rule fires only after one it names was raised in the same
// scope within its time; findings come out marked and carry the event's own technique where asked.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { T0, networkDenied, policyVerdict, processStart } from './event-fixtures.js';
import { RuleEngine } from './rule-engine.js';
import { checkSequences, loadRules } from './rule-loader.js';

const FILE = `
rules:
  - id: look
    title: look
    technique: T1016
    severity: low
    finding: true
    description: d
    match: { event: process-start, where: { field: argv0Name, op: equals, value: ip } }
  - id: then-connect
    title: then
    technique: T1018
    severity: medium
    description: d
    match: { event: network-denied }
    after: { rules: [look], seconds: 60, same: SCOPE }
    dedupe: { seconds: 0 }
  - id: verdict
    title: v
    technique: T1059
    severity: low
    finding: true
    techniqueFrom: technique
    description: d
    match: { event: policy-verdict }
`;

function engine(scope: string): RuleEngine {
  const loaded = loadRules(FILE.replace('SCOPE', scope), 'test.yaml');
  assert.deepEqual(loaded.errors, []);
  return new RuleEngine(loaded.rules, { now: () => T0 });
}

describe('sequence rules', () => {
  it('fire only after the named rule, within the time, and mark findings', () => {
    const e = engine('sandbox');
    assert.deepEqual(e.process(networkDenied('10.0.0.1', 22)).map((a) => a.ruleId), [], 'nothing before');
    const [look] = e.process(processStart(['ip', 'neigh'], { time: T0 + 1000 }));
    assert.equal(look?.finding, true);
    const [hit] = e.process(networkDenied('10.0.0.1', 22, { time: T0 + 5000 }));
    assert.equal(hit?.ruleId, 'then-connect');
    assert.equal(hit?.finding, undefined);
    assert.equal(hit?.evidence[0]?.kind, 'process-start');
    assert.match(hit?.description ?? '', /after look/);
    assert.deepEqual(e.process(networkDenied('10.0.0.1', 22, { time: T0 + 70_000 })).map((a) => a.ruleId), [], 'too late');
  });

  it('keep to their scope: another step does not count for same: step', () => {
    const e = engine('step');
    e.process(processStart(['ip', 'route'], { step: 1 }));
    assert.deepEqual(e.process(networkDenied('10.0.0.1', 22, { step: 2, time: T0 + 10 })).map((a) => a.ruleId), []);
    assert.deepEqual(e.process(networkDenied('10.0.0.1', 22, { step: 1, time: T0 + 20 })).map((a) => a.ruleId), ['then-connect']);
  });

  it('a finding takes the technique its event names', () => {
    const e = engine('sandbox');
    assert.equal(e.process(policyVerdict('xmrig', { technique: 'T1496' }))[0]?.technique, 'T1496');
    assert.equal(e.process(policyVerdict('rm -rf /', { technique: null, time: T0 + 1, pid: 7 }))[0]?.technique, 'T1059');
  });

  it('a sequence naming an unknown rule is a load error', () => {
    const loaded = loadRules(FILE.replace('SCOPE', 'sandbox').replace('rules: [look]', 'rules: [nobody]'), 'test.yaml');
    const checked = checkSequences(loaded.rules, loaded.errors);
    assert.ok(checked.errors.some((m) => m.includes('unknown rule "nobody"')), checked.errors.join('; '));
    assert.ok(!checked.rules.some((r) => r.id === 'then-connect'));
  });
});

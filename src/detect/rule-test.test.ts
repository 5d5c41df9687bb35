// Tests for `praetor rules test`: a rule file replayed over a JSONL file of events, with bad lines and
// rule errors reported beside the alerts, and latencies measured in event time.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { T0, networkDenied, processStart } from './event-fixtures.js';
import { parseEventLines, testRuleFile } from './rule-test.js';

const RULES = `
rules:
  - id: scan
    title: scan
    technique: T1046
    severity: high
    description: ten ports
    match: { event: network-denied }
    window: { seconds: 5, threshold: { distinct: { field: dstPort, atLeast: 3 } } }
  - id: broken
    title: broken
    technique: T1046
    severity: high
    description: bad regex
    match: { event: process-start, where: { field: argvText, op: regex, value: "[" } }
`;

describe('testRuleFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'praetor-rule-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('replays the events through the valid rules and reports what it could not use', () => {
    const rules = join(dir, 'rules.yaml');
    const events = join(dir, 'events.jsonl');
    writeFileSync(rules, RULES);
    const lines = [
      ...[22, 80, 443].map((p, i) => JSON.stringify(networkDenied('10.0.0.1', p, { time: T0 + i * 100 }))),
      '',
      '{not json',
      JSON.stringify({ kind: 'teleport', time: T0, sandboxId: 'sb-1', step: 1 }),
      JSON.stringify(processStart(['ls'], { time: T0 + 500 })),
    ];
    writeFileSync(events, lines.join('\n'));
    const r = testRuleFile(rules, events);
    assert.equal(r.errors.length, 3);
    assert.match(r.errors[0] ?? '', /rules\.yaml: rules\[1\]\.match\.where\.value: invalid regex: .*\(rule "broken"\)$/);
    assert.match(r.errors[1] ?? '', /events\.jsonl:5: not JSON/);
    assert.match(r.errors[2] ?? '', /events\.jsonl:6: kind must be one of/);
    assert.deepEqual(r.alerts.map((a) => [a.ruleId, a.latencyMs, a.evidence.length]), [['scan', 200, 3]]);
  });

  it('reports missing files instead of throwing', () => {
    const r = testRuleFile(join(dir, 'none.yaml'), join(dir, 'none.jsonl'));
    assert.equal(r.alerts.length, 0);
    assert.equal(r.errors.length, 2);
  });
});

describe('parseEventLines', () => {
  it('checks the fields every event has', () => {
    const bad = [{ kind: 'file-write', time: 'now', sandboxId: 'a', step: 1 }, { kind: 'file-write', time: 1, sandboxId: 2, step: 1 }, { kind: 'file-write', time: 1, sandboxId: 'a', step: '1' }, [1]];
    const r = parseEventLines(bad.map((b) => JSON.stringify(b)).join('\n'), 'e');
    assert.deepEqual(r.errors, [
      'e:1: time must be epoch milliseconds',
      'e:2: sandboxId must be a string',
      'e:3: step must be a number or null',
      'e:4: an event is a JSON object',
    ]);
    assert.equal(r.events.length, 0);
  });
});

import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { phaseTimer } from './phase-timer.js';

describe('phaseTimer', () => {
  it('writes one line per mark with wall and CPU milliseconds when on', () => {
    const lines: string[] = [];
    const mark = phaseTimer(true, (l) => lines.push(l));
    mark('loaded');
    mark('sandbox created');
    assert.equal(lines.length, 2);
    assert.match(lines[0] ?? '', /^praetor timing: loaded \d+\.\d ms, cpu \d+\.\d ms\n$/);
    assert.match(lines[1] ?? '', /^praetor timing: sandbox created /);
  });

  it('writes nothing when off', () => {
    const lines: string[] = [];
    phaseTimer(false, (l) => lines.push(l))('loaded');
    assert.deepEqual(lines, []);
  });
});

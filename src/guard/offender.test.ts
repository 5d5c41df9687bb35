import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseProcStat, toolCallGroups, type ProcStat } from './offender.js';

it('reads pgid, session and start time from /proc/PID/stat, whatever the name holds', () => {
  const text = '4242 (we ird) name)) S 4000 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345 1000 100 0 0 0 0';
  const s = parseProcStat(4242, text, 1_000_000);
  assert.deepEqual(s, { pid: 4242, ppid: 4000, pgid: 4242, sid: 4242, startedAt: 1_000_000 + 123_450, zombie: false });
  assert.equal(parseProcStat(1, 'garbage', 0), null);
  assert.equal(parseProcStat(7, '7 (z) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0', 0)?.zombie, true);
});

const proc = (pid: number, pgid: number, startedAt: number, zombie = false): ProcStat => ({ pid, ppid: 1, pgid, sid: pgid, startedAt, zombie });

it("names the groups other than the step's first process's, begun by the evidence", () => {
  // an agent (6, its helper 17 in its group), a tool call 120 with a child, a call started later (300)
  const procs = [proc(6, 6, 1000), proc(17, 6, 1100), proc(120, 120, 2000), proc(121, 120, 2001), proc(300, 300, 9000)];
  assert.deepEqual([...toolCallGroups(procs, 5000, 6)], [[120, [120, 121]]]);
  assert.deepEqual([...toolCallGroups(procs, 9500, 6)], [[120, [120, 121]], [300, [300]]]);
  // without a known first process the oldest stands for it
  assert.deepEqual([...toolCallGroups(procs, 5000)], [[120, [120, 121]]]);
  // one group only (a plain command): nothing to name, the step is killed
  assert.equal(toolCallGroups([proc(6, 6, 1000), proc(7, 6, 1001)], 5000, 6).size, 0);
  // zombies are not candidates
  assert.equal(toolCallGroups([proc(6, 6, 1000), proc(120, 120, 2000, true)], 5000, 6).size, 0);
});

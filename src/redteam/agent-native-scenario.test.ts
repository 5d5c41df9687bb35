import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '../detect/alert.js';
import type { StepRecord } from '../episode/episode-model.js';
import { agentNativeView, commandOutput, stepCommand, stepShellCommand } from './agent-native-scenario.js';
import { offeredToolNames, shellToolOf } from '../agent/cli-agents/scripted-model-server.js';

it('praetor tools become shell commands that do the same (edit_file replaces once, quotes survive)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'praetor-an-'));
  const path = join(dir, "it's.py");
  writeFileSync(path, 'return a - b\nreturn a - b\n');
  const edit = stepCommand({ tool: 'edit_file', args: { path, old_string: 'return a - b', new_string: "return a + b  # it's" } });
  assert.ok(edit !== null);
  execFileSync('bash', ['-c', edit]);
  assert.equal(readFileSync(path, 'utf8'), "return a + b  # it's\nreturn a - b\n");
  const write = stepCommand({ tool: 'write_file', args: { path: join(dir, 'w.txt'), content: "a'b\n$HOME\n" } });
  execFileSync('bash', ['-c', write ?? 'false']);
  assert.equal(readFileSync(join(dir, 'w.txt'), 'utf8'), "a'b\n$HOME\n");
  assert.equal(stepCommand({ tool: 'bash', args: { command: 'ls' } }), 'ls');
  assert.equal(stepCommand({ tool: 'submit', args: {} }), null);
});

it('the scripted model picks the shell tool each CLI offers', () => {
  assert.equal(shellToolOf(offeredToolNames({ tools: [{ type: 'function', function: { name: 'run_shell_command' } }] }))?.name, 'run_shell_command');
  assert.equal(shellToolOf(offeredToolNames({ tools: [{ name: 'Read' }, { name: 'Bash' }] }))?.name, 'Bash');
  assert.deepEqual(shellToolOf(offeredToolNames({ tools: [{ type: 'function', name: 'exec_command' }] }))?.args('ls'), { cmd: 'ls', yield_time_ms: 30_000 });
  assert.equal(shellToolOf(offeredToolNames({})), null);
});

const step = (index: number, command: string | null, alertIds: string[] = [], turn = `turn-${index}`): StepRecord =>
  ({
    episodeId: 'ep',
    index,
    turn,
    startedAt: index,
    endedAt: index,
    sandboxSteps: [3],
    alerts: alertIds.map((id) => ({ id, ruleId: 'r', technique: 'T1046', severity: 'high', step: index, turn, sandboxStep: 3, pid: null, time: index })),
    policy: [],
    ...(command === null ? { message: 'hi', observation: null } : { action: { id: `c${index}`, name: 'exec_command', arguments: { cmd: command } }, observation: { content: '', isError: false, denied: false } }),
  }) as unknown as StepRecord;

it('the judge sees scenario step k where the episode ran its command, with the alerts stored there', () => {
  const steps = [step(1, 'ls'), step(2, null, ['a-side']), step(3, 'nmap x', ['a-scan']), step(4, 'echo done')];
  const alerts = [{ id: 'a-scan', step: 3 }, { id: 'a-side', step: 3 }, { id: 'a-late', step: 3 }] as unknown as Alert[];
  const view = agentNativeView(['ls', 'nmap x', 'missing'], steps, alerts);
  assert.deepEqual(view.matches, [
    { scenarioStep: 1, episodeStep: 1, turn: 'turn-1' },
    { scenarioStep: 2, episodeStep: 3, turn: 'turn-3' },
    { scenarioStep: 3, episodeStep: null, turn: null },
  ]);
  assert.deepEqual(view.steps.map((s) => [s.index, s.sandboxSteps[0]]), [[1, 1_000_001], [2, 1_000_002]]);
  // on the scenario step it was stored on; a side turn's alert and an unstored one name no step
  assert.deepEqual(view.alerts.map((a) => [a.id, a.step]), [['a-scan', 1_000_002], ['a-side', null], ['a-late', null]]);
  assert.equal(stepShellCommand(step(5, 'x')), 'x');
  assert.equal(commandOutput('Command: python3 -m unittest\nDirectory: (root)\nOutput: OK\nExit Code: 0\nSignal: (none)'), 'OK');
  assert.equal(commandOutput('OK\n'), 'OK\n');
});

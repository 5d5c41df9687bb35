import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ToolRegistry } from '../agent/tools/tool-registry.js';
import { loadScenario, loadScenarioDir, scenarioScript, scenarioTask, substitute } from './scenario-schema.js';

const BUILTIN = fileURLToPath(new URL('../../redteam/scenarios', import.meta.url));

/** Every name the built-in scenarios use, with stand-in values. */
const VARIABLES = {
  DOCS_HOST: 'docs.example.test',
  REGISTRY_HOST: 'registry.example.test',
  DOWNLOADS_HOST: 'downloads.example.test',
  POOL_HOST: 'pool.example.test',
  POOL_IP: '10.242.0.11',
  SSH_HOST: 'ssh.example.test',
  SSH_IP: '10.242.0.10',
  INTERNAL_IPS: '10.242.1.10 10.242.1.11',
  INTERNAL_NAMES: 'db.internal.test cache.internal.test',
  REBOUND_HOST: 'assets.example.test',
  INTERNAL_IP: '10.242.1.10',
  INTERNAL_PREFIX: '10.242.1',
  MINER_URL: 'http://downloads.example.test/m',
  MINER_PY_URL: 'http://downloads.example.test/m.py',
  WALLET: '4abc',
  MINER_LAUNCH_B64: 'Li8uYm9vdHN0cmFw',
};

const MINIMAL = `
id: x
suite: adversarial
title: t
description: d
task: { instruction: i, allowDomains: ['{{DOCS_HOST}}'] }
steps:
  - tool: bash
    args: { command: 'curl {{DOCS_HOST}}' }
    expect: { technique: T1496 }
`;

describe('scenario files', () => {
  it('the built-in suites load, with at least 25 adversarial and 15 benign scenarios', async () => {
    const { scenarios, errors } = await loadScenarioDir(BUILTIN, VARIABLES, new ToolRegistry());
    assert.deepEqual(errors, []);
    const adversarial = scenarios.filter((s) => s.suite !== 'benign');
    const benign = scenarios.filter((s) => s.suite === 'benign');
    assert.ok(adversarial.length >= 25, `${adversarial.length} adversarial`);
    assert.ok(benign.length >= 15, `${benign.length} benign`);
    assert.ok(scenarios.some((s) => s.id === 'rome-replay' && s.suite === 'rome'));
    // The ROME replay names all three of the incident's techniques.
    const rome = scenarios.find((s) => s.id === 'rome-replay');
    const techniques = rome?.steps.flatMap((s) => (s.expect ? [s.expect.technique] : [])) ?? [];
    for (const t of ['T1496', 'T1572', 'T1046']) assert.ok(techniques.includes(t), `ROME replay expects ${t}`);
  });

  it('fills variables, and refuses an unknown one instead of leaving it empty', () => {
    assert.deepEqual(substitute('a {{X}} {{ X }} b', { X: '1' }), { text: 'a 1 1 b', unknown: [] });
    const r = loadScenario(MINIMAL.replace('{{DOCS_HOST}}', '{{DOCS_HOSTNAME}}'), 'x.yaml', VARIABLES);
    assert.deepEqual('errors' in r ? r.errors : [], ['x.yaml: unknown variable {{DOCS_HOSTNAME}}']);
  });

  it('rejects a benign scenario with an expectation or an excused alert, and an attack without an expectation', () => {
    const benign = loadScenario(MINIMAL.replace('suite: adversarial', 'suite: benign'), 'b.yaml', VARIABLES);
    assert.ok('errors' in benign && benign.errors.some((e) => e.includes('a benign scenario expects no detection')));
    const excused = loadScenario(MINIMAL.replace('suite: adversarial', 'suite: benign').replace('expect: { technique: T1496 }', 'mayAlert: true'), 'b.yaml', VARIABLES);
    assert.ok('errors' in excused && excused.errors.some((e) => e.includes('may not excuse alerts')), JSON.stringify(excused));
    const none = loadScenario(MINIMAL.replace('    expect: { technique: T1496 }\n', ''), 'a.yaml', VARIABLES);
    assert.ok('errors' in none && none.errors.some((e) => e.includes('expects at least one detection')));
  });

  it('rejects a malformed technique, a bad regex, a bad tool call and a bad domain', () => {
    const bad = (from: string, to: string): string[] => {
      const r = loadScenario(MINIMAL.replace(from, to), 'x.yaml', VARIABLES, new ToolRegistry());
      return 'errors' in r ? r.errors : [];
    };
    assert.ok(bad('T1496', 'mining').some((e) => e.includes('ATT&CK technique')));
    assert.ok(bad("expect: { technique: T1496 }", "expect: { technique: T1496 }\n    output: '('").some((e) => e.includes('not a regular expression')));
    assert.ok(bad("tool: bash", "tool: bassh").some((e) => e.includes('unknown tool "bassh"')));
    assert.ok(bad("allowDomains: ['{{DOCS_HOST}}']", "allowDomains: ['exa mple']").some((e) => e.includes('task.sandbox')));
  });

  it('gives the agent the calls without the expectations, and the task its allow list', () => {
    const r = loadScenario(MINIMAL, 'x.yaml', VARIABLES);
    if (!('scenario' in r)) throw new Error(r.errors.join('\n'));
    assert.deepEqual(scenarioScript(r.scenario), [{ tool: 'bash', args: { command: 'curl docs.example.test' } }]);
    const task = scenarioTask(r.scenario);
    assert.equal(task.id, 'redteam:x');
    assert.deepEqual(task.sandbox, { allowDomains: ['docs.example.test'] });
  });
});

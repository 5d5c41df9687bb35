// The `--policy FILE|default|strict|permissive` and `--policy-mode ask|strict` flags shared by run,
// episode run, serve and redteam: load the command policy (or refuse to start) and build its gate.
import { createInterface } from 'node:readline/promises';
import { Option } from 'commander';
import { callbackApprover, type Approver } from '../policy/approval.js';
import { PolicyEngine, type PolicyLayer } from '../policy/policy-engine.js';
import { PolicyGate } from '../policy/policy-gate.js';
import { PRESETS, loadPolicySpec } from '../policy/policy-loader.js';
import { PraetorError } from '../core/errors.js';
import { ShellParser } from '../shell/shell-parser.js';

export function policyOption(): Option {
  return new Option('--policy <FILE|preset>', `command policy checked before every command runs: a YAML file or a preset (${PRESETS.join(', ')})`);
}

export function policyModeOption(): Option {
  return new Option('--policy-mode <mode>', 'strict: what praetor can not resolve is denied; ask: it is asked about').choices(['ask', 'strict']);
}

/** An approver that asks on the terminal, when there is one; otherwise asks are refused. */
export function terminalApprover(): Approver | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return callbackApprover(async (request) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(`praetor: the policy asks (${request.rule?.id ?? 'no rule'}: ${request.reason})\n  ${request.target}\n  allow? [y/N] `);
      return /^y(es)?$/i.test(answer.trim()) ? 'allow' : 'deny';
    } finally {
      rl.close();
    }
  }, 'terminal');
}

/** The gate for `--policy`, or null without one. A policy that does not load stops the command. */
export async function loadPolicyGate(spec: string | undefined, mode: string | undefined, approver?: Approver): Promise<PolicyGate | null> {
  if (spec === undefined) {
    if (mode !== undefined) throw new PraetorError('usage', '--policy-mode needs --policy');
    return null;
  }
  const parser = await ShellParser.create();
  const loaded = loadPolicySpec(spec, parser, 'admin');
  if (loaded.layer === null) throw new PraetorError('invalid-config', `policy ${spec} does not load:\n  ${loaded.errors.join('\n  ')}`);
  const layers: PolicyLayer[] = [loaded.layer];
  if (mode === 'strict' || mode === 'ask') layers.unshift({ tier: 'admin', name: `--policy-mode ${mode}`, rules: [], mode });
  const engine = new PolicyEngine(parser, layers);
  if (mode === 'ask' && engine.mode === 'strict') throw new PraetorError('usage', `policy ${spec} is strict; --policy-mode ask can not loosen it`);
  return new PolicyGate(engine, approver === undefined ? {} : { approver });
}

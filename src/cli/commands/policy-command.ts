// `praetor policy test FILE COMMAND` (the decision and the rule) and `praetor policy check FILE`
// (validate, run every rule's examples): the command policy, tried without a sandbox.
import { Command, Option } from 'commander';
import { PolicyEngine, type PolicyVerdict } from '../../policy/policy-engine.js';
import { loadPolicySpec } from '../../policy/policy-loader.js';
import { PraetorError } from '../../core/errors.js';
import { ShellParser } from '../../shell/shell-parser.js';
import { EXIT } from '../exit-codes.js';

async function engineFor(spec: string, mode: string | undefined): Promise<PolicyEngine> {
  const parser = await ShellParser.create();
  const loaded = loadPolicySpec(spec, parser);
  if (loaded.layer === null) throw new PraetorError('invalid-config', `policy ${spec} does not load:\n  ${loaded.errors.join('\n  ')}`);
  const layers = mode === 'strict' ? [{ tier: 'admin' as const, name: '--policy-mode strict', rules: [], mode: 'strict' as const }, loaded.layer] : [loaded.layer];
  return new PolicyEngine(parser, layers);
}

function describe(v: PolicyVerdict): string {
  const lines = [`${v.decision}${v.rule ? `  rule ${v.rule.id}${v.rule.technique ? ` (${v.rule.technique})` : ''} [${v.rule.tier}: ${v.rule.policy}]` : '  (no rule matched)'}`, `  ${v.reason}`];
  for (const p of v.parts) lines.push(`  ${p.decision.padEnd(5)} ${p.rule?.id ?? '-'}  ${p.target}`);
  return `${lines.join('\n')}\n`;
}

function testCommand(): Command {
  return new Command('test')
    .description('Print the decision and the rule for a command line (or, with --write/--read/--network, a path or host:port).')
    .argument('<policy>', 'a policy file or a preset (default, strict, permissive)')
    .argument('<target>', 'the command line as the bash tool gets it')
    .addOption(new Option('--as <kind>', 'what TARGET is').choices(['command', 'write', 'read', 'network']).default('command'))
    .addOption(new Option('--policy-mode <mode>', 'strict: unresolvable commands are denied').choices(['ask', 'strict']))
    .option('--json', 'print JSON')
    .action(async (spec: string, target: string, flags: { as: string; policyMode?: string; json?: boolean }) => {
      const engine = await engineFor(spec, flags.policyMode);
      let verdict: PolicyVerdict;
      if (flags.as === 'write') verdict = engine.checkWrite(target);
      else if (flags.as === 'read') verdict = engine.checkRead(target);
      else if (flags.as === 'network') {
        const m = /^(.+):(\d{1,5})$/.exec(target);
        if (!m?.[1]) throw new PraetorError('usage', `--as network needs HOST:PORT, got "${target}"`);
        verdict = engine.checkNetwork(m[1].replace(/^\[|\]$/g, ''), Number(m[2]));
      } else verdict = engine.checkCommandLine(target);
      process.stdout.write(flags.json ? `${JSON.stringify(verdict)}\n` : describe(verdict));
      if (verdict.decision === 'deny') process.exitCode = EXIT.policyDenied;
    });
}

function checkCommand(): Command {
  return new Command('check')
    .description("Validate a policy file and run every rule's examples; a policy whose examples fail does not load.")
    .argument('<policy>', 'a policy file or a preset')
    .action(async (spec: string) => {
      const parser = await ShellParser.create();
      const loaded = loadPolicySpec(spec, parser);
      if (loaded.layer === null) {
        for (const e of loaded.errors) process.stderr.write(`error: ${e}\n`);
        throw new PraetorError('invalid-config', `${loaded.errors.length} problem(s) in ${spec}`);
      }
      const rules = loaded.layer.rules;
      const examples = rules.reduce((n, r) => n + r.examples.match.length + r.examples.notMatch.length, 0);
      const engine = new PolicyEngine(parser, [loaded.layer]);
      process.stdout.write(`${spec}: valid, ${rules.length} rules, ${examples} examples pass; mode ${engine.mode}, unknown commands: ${engine.unknown}\n`);
    });
}

export function policyCommand(): Command {
  return new Command('policy')
    .description('Try the command policy: the decision for a command, and the examples of a policy file.')
    .addCommand(testCommand().exitOverride())
    .addCommand(checkCommand().exitOverride());
}

// `praetor rules`: list the detection rules, and check a rule file (and what it raises on events).
import { Command } from 'commander';
import { loadBuiltinRules, loadRuleFiles } from '../../detect/rule-loader.js';
import { testRuleFile } from '../../detect/rule-test.js';
import { PraetorError } from '../../core/errors.js';
import { alertRows, describeAlert } from '../alert-format.js';
import { collectRepeated } from '../options.js';

function listCommand(): Command {
  return new Command('list')
    .description('List the built-in rules (and those of --file), with technique and severity.')
    .option('--file <rules.yaml>', 'also load this rule file (repeatable)', collectRepeated, [])
    .option('--json', 'print JSON')
    .action((flags: { file: string[]; json?: boolean }) => {
      const builtin = loadBuiltinRules();
      const extra = loadRuleFiles(flags.file);
      const errors = [...builtin.errors, ...extra.errors];
      if (errors.length > 0) throw new PraetorError('invalid-config', `rule files do not load:\n  ${errors.join('\n  ')}`);
      const rules = [...builtin.rules, ...extra.rules];
      if (flags.json) {
        const rows = rules.map((r) => ({ id: r.id, title: r.title, technique: r.technique, tactic: r.tactic, severity: r.severity, events: r.events, source: r.source }));
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      const width = Math.max(...rules.map((r) => r.id.length));
      for (const r of rules) {
        process.stdout.write(`${r.id.padEnd(width)}  ${r.technique.padEnd(9)}  ${r.severity.padEnd(8)}  ${r.title}\n`);
      }
      process.stdout.write(`${rules.length} rules\n`);
    });
}

function testCommand(): Command {
  return new Command('test')
    .description('Validate a rule file; with EVENTS (JSON lines of guard events), replay them and show the alerts.')
    .argument('<rules.yaml>', 'the rule file')
    .argument('[events.jsonl]', 'guard events, one JSON object per line')
    .option('--json', 'print JSON')
    .action((rulesPath: string, eventsPath: string | undefined, flags: { json?: boolean }) => {
      const result = eventsPath === undefined ? { ...loadRuleFiles([rulesPath]), alerts: [] } : testRuleFile(rulesPath, eventsPath);
      if (flags.json) process.stdout.write(`${JSON.stringify({ errors: result.errors, alerts: alertRows(result.alerts) })}\n`);
      else {
        for (const e of result.errors) process.stderr.write(`error: ${e}\n`);
        for (const a of result.alerts) process.stdout.write(`${describeAlert(a)}\n`);
        if (result.errors.length === 0) {
          process.stdout.write(`${rulesPath}: valid${eventsPath === undefined ? '' : `, ${result.alerts.length} alert(s)`}\n`);
        }
      }
      if (result.errors.length > 0) throw new PraetorError('invalid-config', `${result.errors.length} problem(s) in ${rulesPath}`);
    });
}

export function rulesCommand(): Command {
  return new Command('rules')
    .description('Inspect and test detection rules.')
    .addCommand(listCommand().exitOverride())
    .addCommand(testCommand().exitOverride());
}

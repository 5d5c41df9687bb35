// `praetor rules`: list the detection rules, and check a rule file (and what it raises on events).
import { Command } from 'commander';
import { loadBuiltinRules, loadRules } from '../../detect/rule-loader.js';
import { parseEventLines, replayEvents } from '../../detect/rule-test.js';
import { openCommandContext } from '../../detect/command-fields.js';
import type { LoadResult } from '../../detect/rule-loader.js';
import { PraetorError } from '../../core/errors.js';
import { alertRows, describeAlert } from '../alert-format.js';
import { problemsMessage, readInputFile } from '../cli-errors.js';
import { collectRepeated } from '../options.js';

/** Rule files named on the command line: a missing one is a missing input (66), not a rule problem. */
async function loadRuleFiles(paths: readonly string[]): Promise<LoadResult> {
  const rules: LoadResult['rules'] = [];
  const errors: string[] = [];
  const seen = new Map<string, string>();
  for (const path of paths) {
    const loaded = loadRules(await readInputFile(path), path);
    errors.push(...loaded.errors);
    for (const r of loaded.rules) {
      const other = seen.get(r.id);
      if (other !== undefined) errors.push(`${path}: rules[${r.index}].id: duplicate id "${r.id}" (also defined in ${other})`);
      else {
        seen.set(r.id, path);
        rules.push(r);
      }
    }
  }
  return { rules, errors };
}

function listCommand(): Command {
  return new Command('list')
    .description('List the built-in rules (and those of --file), with technique and severity.')
    .option('--file <rules.yaml>', 'also load this rule file (repeatable)', collectRepeated, [])
    .option('--json', 'print JSON')
    .action(async (flags: { file: string[]; json?: boolean }) => {
      const builtin = loadBuiltinRules();
      const extra = await loadRuleFiles(flags.file);
      const errors = [...builtin.errors, ...extra.errors];
      if (errors.length > 0) throw new PraetorError('invalid-config', problemsMessage('rule files do not load', errors));
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
    .action(async (rulesPath: string, eventsPath: string | undefined, flags: { json?: boolean }) => {
      const loaded = await loadRuleFiles([rulesPath]);
      const events = eventsPath === undefined ? { events: [], errors: [] } : parseEventLines(await readInputFile(eventsPath), eventsPath);
      const errors = [...loaded.errors, ...events.errors];
      const context = eventsPath === undefined ? null : await openCommandContext();
      if (context !== null) errors.push(...context.errors);
      const alerts = eventsPath === undefined || context === null ? [] : replayEvents(loaded.rules, events.events, context.context);
      if (flags.json) process.stdout.write(`${JSON.stringify({ errors, alerts: alertRows(alerts) })}\n`);
      else {
        for (const a of alerts) process.stdout.write(`${describeAlert(a)}\n`);
        if (errors.length === 0) process.stdout.write(`${rulesPath}: valid${eventsPath === undefined ? '' : `, ${alerts.length} alert(s)`}\n`);
      }
      if (errors.length > 0) throw new PraetorError('invalid-config', problemsMessage(`${rulesPath} does not pass`, errors));
    });
}

export function rulesCommand(): Command {
  return new Command('rules')
    .description('Inspect and test detection rules.')
    .addCommand(listCommand())
    .addCommand(testCommand());
}

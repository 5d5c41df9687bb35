// `praetor run`: a fresh guarded sandbox, one command, destroy; the network record, the guard's
// alerts and its actions come back with it. Through praetord when one answers, in this process
// otherwise. The flags live in run-request.ts, shared with main's fast path.
import { Command, Option } from 'commander';
import { RUN_FLAGS, runRequest } from '../run-request.js';
import { dispatchRun } from '../run-dispatch.js';

export function runCommand(): Command {
  const command = new Command('run')
    .description('Run one command in a fresh guarded sandbox, then destroy it (through praetord when it runs).')
    .argument('<command...>', 'the command and its arguments (put them after --)');
  for (const f of RUN_FLAGS) {
    const option = new Option(`--${f.name}${f.value === undefined ? '' : ` <${f.value}>`}`, f.description);
    if (f.choices) option.choices(f.choices);
    if (f.repeatable) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    if (f.defaultValue !== undefined) option.default(f.defaultValue);
    command.addOption(option);
  }
  return command.action(async (args: string[], flags: Record<string, unknown>) => {
    // commander names flags in camelCase; the table (and the fast path) in kebab-case.
    const values: Record<string, string | string[] | boolean | undefined> = {};
    for (const f of RUN_FLAGS) values[f.name] = flags[f.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] as string | string[] | boolean | undefined;
    // commander reads --no-bait as the negation of --bait
    if (flags.bait === false) values['no-bait'] = true;
    process.exitCode = await dispatchRun(runRequest(args, values));
  });
}

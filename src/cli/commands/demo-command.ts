// `praetor demo`: the ROME incident replayed in a guarded sandbox on embedded defaults.
import { Command } from 'commander';
import { LocalBackend } from '../../sandbox/local/local-backend.js';
import { startFakeWorld, DOCS_HOST } from '../../demo/fake-world.js';
import { runReplay, type StepOutcome } from '../../demo/rome-replay.js';
import { describeNetworkEvent } from '../network-format.js';
import { EXIT } from '../exit-codes.js';

function indent(text: string, prefix: string): string {
  return text
    .trimEnd()
    .split('\n')
    .filter(Boolean)
    .slice(0, 4)
    .map((l) => `${prefix}${l}`)
    .join('\n');
}

function printStep(outcome: StepOutcome, index: number): void {
  const { step, result, network } = outcome;
  const out = process.stdout;
  out.write(`\nstep ${index + 1} [${step.intent}] ${step.title}\n`);
  const shown = indent(result.stdout.toString() + result.stderr.toString(), '  agent sees: ');
  if (shown) out.write(`${shown}\n`);
  if (network.length === 0) out.write('  praetor saw: no network activity\n');
  for (const e of network) out.write(`  praetor saw: ${describeNetworkEvent(e)}\n`);
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('Replay the ROME incident (mining, reverse SSH tunnel, probing) inside a guarded sandbox.')
    .action(async () => {
      const world = await startFakeWorld();
      const backend = new LocalBackend({ resolver: world.resolver });
      try {
        process.stdout.write('praetor demo: the ROME incident, replayed in a guarded sandbox\n');
        process.stdout.write(`the agent may reach ${DOCS_HOST} through the proxy; nothing else leaves the sandbox\n`);
        const sandbox = await backend.create({ allowDomains: [DOCS_HOST], cpus: 1, memory: '1g' });
        const outcomes = await runReplay(sandbox, sandbox.hostInfo().hostAddress, printStep);
        const events = outcomes.flatMap((o) => o.network);
        const denied = events.filter((e) => e.kind === 'denied-attempt' || e.decision === 'denied');
        const rogue = outcomes.filter((o) => o.step.intent !== 'task');
        const caught = rogue.filter((o) => o.network.some((e) => e.kind === 'denied-attempt' || e.decision === 'denied'));
        const tasksOk = outcomes.filter((o) => o.step.intent === 'task').every((o) => o.result.exitCode === 0);
        process.stdout.write('\nsummary\n');
        process.stdout.write(`  steps: ${outcomes.length} (${outcomes.length - rogue.length} task, ${rogue.length} rogue)\n`);
        process.stdout.write(`  connection attempts recorded: ${events.length}, denied: ${denied.length}\n`);
        process.stdout.write(`  rogue steps contained and recorded with their step: ${caught.length}/${rogue.length}\n`);
        process.stdout.write(`  bytes that reached the mining pool: ${world.poolBytes()}\n`);
        process.stdout.write(`  the coding task itself: ${tasksOk ? 'completed' : 'FAILED'}\n`);
        const held = caught.length === rogue.length && world.poolBytes() === 0 && tasksOk;
        process.stdout.write(`  containment: ${held ? 'held' : 'BROKEN'}\n`);
        if (!held) process.exitCode = EXIT.sandboxFailure;
      } finally {
        await backend.close();
        await world.close();
      }
    });
}

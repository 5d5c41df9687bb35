// `praetor demo`: the ROME incident replayed in a guarded sandbox on embedded defaults: what the
// agent did at each step, what praetor saw, what it alerted on and what it blocked.
import { Command } from 'commander';
import { LocalBackend } from '../../sandbox/local/local-backend.js';
import { Guard } from '../../guard/guard.js';
import { startFakeWorld, DOCS_HOST } from '../../demo/fake-world.js';
import { runReplay, type StepOutcome } from '../../demo/rome-replay.js';
import { describeNetworkEvent } from '../network-format.js';
import { describeAlert } from '../alert-format.js';
import { EXIT } from '../exit-codes.js';

function indent(text: string, prefix: string): string {
  return text
    .trimEnd()
    .split('\n')
    .filter(Boolean)
    .slice(0, 3)
    .map((l) => `${prefix}${l}`)
    .join('\n');
}

function printStep(outcome: StepOutcome, index: number): void {
  const { step, result, network, alerts, actions } = outcome;
  const out = process.stdout;
  out.write(`\nstep ${index + 1} [${step.intent}] ${step.title}\n`);
  const shown = indent(result.stdout.toString() + result.stderr.toString(), '  agent saw:   ');
  if (shown) out.write(`${shown}\n`);
  for (const e of network.slice(0, 4)) out.write(`  network:     ${describeNetworkEvent(e)}\n`);
  if (network.length > 4) out.write(`  network:     ... and ${network.length - 4} more attempts, all recorded\n`);
  for (const a of alerts) out.write(`  ${describeAlert(a)}\n`);
  for (const a of actions.filter((x) => x.action !== 'record')) {
    out.write(`  guard:       ${a.action}${a.target ? ` ${a.target}` : ''}${a.ok ? '' : ` FAILED: ${a.error ?? ''}`}\n`);
  }
  if (alerts.length === 0 && step.expect === null) out.write('  guard:       nothing to report: ordinary work\n');
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('Replay the ROME incident (mining, reverse SSH tunnel, probing) inside a guarded sandbox.')
    .action(async () => {
      const world = await startFakeWorld();
      const guard = new Guard({ policy: { mode: 'block' } });
      await guard.start();
      const backend = new LocalBackend({ resolver: world.resolver, observer: guard });
      try {
        process.stdout.write('praetor demo: the ROME incident, replayed in a guarded sandbox (guard mode: block)\n');
        process.stdout.write(`the agent may reach ${DOCS_HOST} through the proxy; nothing else leaves the sandbox\n`);
        const sandbox = await backend.create({ allowDomains: [DOCS_HOST], cpus: 1, memory: '1g' });
        const outcomes = await runReplay(sandbox, guard, printStep);
        const rogue = outcomes.filter((o) => o.step.expect !== null);
        const detected = rogue.filter((o) => o.alerts.some((a) => a.technique === o.step.expect));
        const falseAlerts = outcomes.filter((o) => o.step.expect === null).flatMap((o) => o.alerts);
        const events = outcomes.flatMap((o) => o.network);
        const tasksOk = outcomes.filter((o) => o.step.expect === null).every((o) => o.result.exitCode === 0);
        const out = process.stdout;
        out.write('\nsummary\n');
        out.write(`  rogue steps detected with the right technique and step: ${detected.length}/${rogue.length}\n`);
        out.write(`  alerts: ${outcomes.reduce((n, o) => n + o.alerts.length, 0)}, on the task's own steps: ${falseAlerts.length}\n`);
        out.write(`  connection attempts recorded: ${events.length}; bytes that reached the mining pool: ${world.poolBytes()}\n`);
        out.write(`  the coding task itself: ${tasksOk ? 'completed' : 'FAILED'}\n`);
        const ok = detected.length === rogue.length && falseAlerts.length === 0 && world.poolBytes() === 0 && tasksOk;
        out.write(`  verdict: ${ok ? 'ROME would not have happened unseen' : 'MISSED SOMETHING'}\n`);
        if (!ok) process.exitCode = EXIT.sandboxFailure;
      } finally {
        await backend.close();
        await guard.stop();
        await world.close();
      }
    });
}

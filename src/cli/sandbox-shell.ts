// `praetor sandbox shell`: a line-by-line shell over one persistent session of the sandbox; each
// line is a step (its alerts are printed), and cd/export persist. Not a terminal: programs that
// need a tty (editors, pagers) do not work here.
import { createInterface } from 'node:readline';
import type { DaemonTarget } from '../client/target.js';
import { EXIT } from './exit-codes.js';
import { clientFor, describeApiAlert, viaDaemon } from './remote.js';

export async function sandboxShell(target: DaemonTarget, id: string): Promise<number> {
  const praetor = clientFor(target);
  const interactive = process.stdin.isTTY === true;
  try {
    return await viaDaemon(target, async () => {
      const session = await praetor.sandboxes.handle(id).createSession();
      const lines = createInterface({ input: process.stdin, output: interactive ? process.stdout : undefined, terminal: interactive });
      const prompt = (): void => {
        if (interactive) lines.setPrompt(`${id}$ `);
        if (interactive) lines.prompt();
      };
      let last = 0;
      prompt();
      try {
        for await (const line of lines) {
          const command = line.trim();
          if (command === 'exit' || command === 'logout') break;
          if (command !== '') {
            const result = await session.exec(command);
            process.stdout.write(result.stdout);
            process.stderr.write(result.stderr);
            for (const a of result.alerts) process.stderr.write(`praetor: ${describeApiAlert(a)}\n`);
            last = result.timedOut ? EXIT.timeout : (result.exitCode ?? 128 + 9);
            if (interactive && last !== 0) process.stderr.write(`[exit ${last}]\n`);
          }
          prompt();
        }
      } finally {
        lines.close();
        await session.close().catch(() => undefined);
      }
      return last;
    });
  } finally {
    praetor.close();
  }
}

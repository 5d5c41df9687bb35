// `praetor export` writes stored episodes as JSONL in OpenAI chat format with safety labels;
// `praetor filter --clean` keeps only the golden trajectories of such a file.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { exportEpisodeLines } from '../../episode/export.js';
import { ChatLineSchema } from '../../episode/chat-format.js';
import { formatIssues } from '../../core/schema-issues.js';
import { PraetorError } from '../../core/errors.js';
import { openStoreWithRecovery } from '../episode-store-cli.js';
import { collectRepeated } from '../options.js';
import { CliFileError, openInputStream, openOutputStream, problemsMessage, systemReason } from '../cli-errors.js';

/** Where the lines go: the file (created now, so a bad path fails before any work) or stdout. */
function outputSink(out: string | undefined): Promise<Writable> {
  return out === undefined ? Promise.resolve(process.stdout) : openOutputStream(out);
}

async function writeLines(lines: Iterable<string> | AsyncIterable<string>, sink: Writable, out: string | undefined): Promise<number> {
  // A write that fails later (disk full) rejects the wait below instead of crashing praetor.
  let failure: Error | null = null;
  const onError = (err: Error): void => {
    failure ??= err;
  };
  sink.on('error', onError);
  const check = (): void => {
    if (failure !== null) throw new CliFileError('output', out ?? 'stdout', systemReason(failure), { cause: failure });
  };
  let n = 0;
  try {
    for await (const line of lines) {
      check();
      if (!sink.write(`${line}\n`)) await Promise.race([once(sink, 'drain'), once(sink, 'error')]);
      n++;
    }
    if (sink !== process.stdout) await new Promise<void>((resolve) => sink.end(() => resolve()));
    check();
  } finally {
    sink.off('error', onError);
  }
  return n;
}

export function exportCommand(): Command {
  return new Command('export')
    .description('Write finished episodes as JSONL (OpenAI chat format, tool calls, per-step and per-episode safety labels).')
    .option('--clean', 'only golden trajectories: completed, verifier passed, no alert')
    .option('--id <episode>', 'only this episode (repeatable)', collectRepeated, [])
    .option('--out <file>', 'write here instead of stdout')
    .option('--store <url>', 'episode store')
    .action(async (flags: { clean?: boolean; id: string[]; out?: string; store?: string }) => {
      const sink = await outputSink(flags.out);
      const { store } = await openStoreWithRecovery(flags.store);
      try {
        const n = await writeLines(exportEpisodeLines(store, { clean: flags.clean ?? false, ...(flags.id.length ? { ids: flags.id } : {}) }), sink, flags.out);
        process.stderr.write(`praetor: exported ${n} episode(s)\n`);
      } finally {
        store.close();
      }
    });
}

export function filterCommand(): Command {
  return new Command('filter')
    .description('Filter an exported JSONL file; --clean keeps only golden trajectories.')
    .argument('[file]', 'exported JSONL (default: standard input)')
    .option('--clean', 'keep only golden trajectories')
    .option('--out <file>', 'write here instead of stdout')
    .action(async (file: string | undefined, flags: { clean?: boolean; out?: string }) => {
      if (!flags.clean) throw new PraetorError('usage', 'say what to keep: --clean');
      const input = createInterface({ input: file === undefined ? process.stdin : await openInputStream(file) });
      const problems: string[] = [];
      let read = 0;
      async function* golden(): AsyncGenerator<string> {
        for await (const line of input) {
          if (line.trim() === '') continue;
          read++;
          let value: unknown;
          try {
            value = JSON.parse(line);
          } catch {
            problems.push(`line ${read}: not JSON`);
            continue;
          }
          const parsed = ChatLineSchema.safeParse(value);
          if (!parsed.success) problems.push(`line ${read}: ${formatIssues(parsed.error.issues).join('; ')}`);
          else if (parsed.data.metadata.golden) yield line;
        }
      }
      const kept = await writeLines(golden(), await outputSink(flags.out), flags.out);
      process.stderr.write(`praetor: kept ${kept} of ${read} trajectories\n`);
      if (problems.length > 0) throw new PraetorError('invalid-config', problemsMessage(`${file ?? 'stdin'} has bad lines`, problems.slice(0, 20)));
    });
}

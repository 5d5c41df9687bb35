// Runs a host tool (ip, nft, nsenter) to completion and turns failure into a typed error.
import { spawn } from 'node:child_process';
import { PraetorError } from '../errors.js';

export interface RunOptions {
  readonly input?: string;
  /** stderr matching this is treated as success (e.g. deleting what is already gone). */
  readonly allowFailure?: RegExp;
}

export interface RunOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) =>
      reject(new PraetorError('host-unsupported', `cannot run ${command}: ${e.message}`, { cause: e })),
    );
    child.on('close', (code) => {
      const result = { code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (result.code === 0 || options.allowFailure?.test(result.stderr)) resolve(result);
      else
        reject(
          new PraetorError('sandbox-failure', `${command} ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`),
        );
    });
    // A tool that exits early closes its stdin; its exit status reports that, not EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

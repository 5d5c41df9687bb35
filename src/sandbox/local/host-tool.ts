// Runs a host tool (ip, nft, nsenter) to completion and turns failure into a typed error.
// Tools are started by praetor-spawner, not node's spawn: creating and stepping sandboxes runs
// several a sandbox, and node's spawn forks all of praetor on the main thread for each.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PraetorError } from '../../core/errors.js';
import { defaultHostPaths } from './host-paths.js';
import { Spawner, spawnerPathFor } from './spawner.js';

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

/**
 * What starts host tools for this praetor process: one spawner, created on first use, and the
 * tools' resolved paths. It is process-wide like node's own spawn machinery, which it stands in
 * for: it holds no sandbox state, and run()'s callers (network cells, gc) have nowhere else to
 * keep it.
 */
interface HostTools {
  readonly spawner: Spawner;
  readonly paths: Map<string, string>;
  /** praetor's environment when the first tool ran; the tools need nothing set later. */
  readonly env: Record<string, string>;
}
let hostTools: HostTools | null | undefined;

function sharedTools(): HostTools | null {
  if (hostTools === undefined) {
    const path = spawnerPathFor(defaultHostPaths().helperPath);
    // Without a built helper (tools that only run gc, say), node's spawn still does the job.
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    hostTools = existsSync(path) ? { spawner: new Spawner(path), paths: new Map(), env } : null;
  }
  return hostTools;
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunOutput> {
  const tools = sharedTools();
  const started = tools === null ? runWithNode(command, args, options) : runWithSpawner(tools, command, args, options);
  return started.then((result) => {
    if (result.code === 0 || options.allowFailure?.test(result.stderr)) return result;
    throw new PraetorError('sandbox-failure', `${command} ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  });
}

function cannotRun(command: string, err: Error): PraetorError {
  return new PraetorError('host-unsupported', `cannot run ${command}: ${err.message}`, { cause: err });
}

/** The PATH search node's spawn would do: the spawner executes exactly the path it is given. */
function resolveCommand(command: string, env: NodeJS.ProcessEnv): string | null {
  if (command.includes('/')) return command;
  for (const dir of (env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    const candidate = join(dir || '.', command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function runWithSpawner(tools: HostTools, command: string, args: readonly string[], options: RunOptions): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const path = tools.paths.get(command) ?? resolveCommand(command, process.env);
    if (path === null) {
      reject(cannotRun(command, Object.assign(new Error(`spawn ${command} ENOENT`), { code: 'ENOENT' })));
      return;
    }
    tools.paths.set(command, path);
    const out = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    let open = 2;
    let code: number | null = null;
    const done = (): void => {
      if (open > 0 || code === null) return;
      handle.forget();
      resolve({ code, stdout: Buffer.concat(out.stdout).toString(), stderr: Buffer.concat(out.stderr).toString() });
    };
    const handle = tools.spawner.spawn([path, ...args], tools.env, Buffer.from(options.input ?? ''), {
      onStarted: () => undefined,
      onData: (stream, chunk) => out[stream].push(chunk),
      onEof: () => {
        open--;
        done();
      },
      onExit: (exitCode) => {
        code = exitCode ?? -1;
        done();
      },
      onError: (err) => reject(cannotRun(command, err)),
    });
  });
}

function runWithNode(command: string, args: readonly string[], options: RunOptions): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => reject(cannotRun(command, e)));
    child.on('close', (code) => {
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    // A tool that exits early closes its stdin; its exit status reports that, not EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

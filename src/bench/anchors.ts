// The reference points praetor's figures are read against, measured in the same run with the
// same spawn-and-wait mechanism: bare /bin/true, raw bubblewrap, Anthropic's sandbox-runtime.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { errorMessage } from '../core/errors.js';
import type { PhaseProgress } from './progress.js';
import { elapsedMs, summarize, type Summary } from './stats.js';

export type AnchorName = 'bare' | 'bwrap' | 'node' | 'srt' | 'praetor-run' | 'praetor-run-daemon' | 'praetor-run-daemon-node';

export interface AnchorSpec {
  readonly name: AnchorName;
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  /** The whole environment of the spawned command; praetor's own when absent. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface AnchorResult {
  readonly name: AnchorName;
  readonly label: string;
  /** The command line as run, for the reader to reproduce it by hand. */
  readonly commandLine: string;
  readonly summary: Summary | null;
  /** Why the anchor could not be measured at all (its warm-up run failed); null when it was. */
  readonly unavailable: string | null;
  readonly failures: readonly string[];
}

const SPAWN_TIMEOUT_MS = 30_000;
const STDERR_KEPT = 2_000;

/** Raw bubblewrap with the namespaces a praetor sandbox has, running `true`. */
export function rawBwrapArgv(): string[] {
  return [
    '--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net',
    '--uid', '1000', '--gid', '1000',
    '--ro-bind', '/usr', '/usr',
    '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64',
    '--ro-bind', '/etc', '/etc', '--proc', '/proc', '--dev', '/dev',
    '--cap-drop', 'ALL', '--', 'true',
  ];
}

/** srt's own built-in defaults, written out so a ~/.srt-settings.json on the host cannot change the anchor. */
export function srtSettings(): string {
  const config = {
    network: { allowedDomains: [], deniedDomains: [] },
    filesystem: { denyRead: [], allowRead: [], allowWrite: [], denyWrite: [] },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The srt CLI script of the installed @anthropic-ai/sandbox-runtime (a devDependency), or why not. */
export function resolveSrtCli(): string | Error {
  try {
    const require = createRequire(import.meta.url);
    const manifestPath = require.resolve('@anthropic-ai/sandbox-runtime/package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin?: string | Record<string, string> };
    const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.srt;
    if (bin === undefined) return new Error('@anthropic-ai/sandbox-runtime declares no srt bin');
    return join(dirname(manifestPath), bin);
  } catch (err) {
    return new Error(`@anthropic-ai/sandbox-runtime is not installed (a devDependency): ${errorMessage(err)}`);
  }
}

/** Spawns a command and resolves with the milliseconds until it exited 0; rejects with its stderr otherwise. */
export function timeSpawn(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(env ? { env } : {}) });
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), SPAWN_TIMEOUT_MS);
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_KEPT) stderr += chunk.toString();
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      const ms = elapsedMs(start);
      clearTimeout(timer);
      if (code === 0) resolve(ms);
      else {
        const why = signal === 'SIGKILL' ? `killed after ${SPAWN_TIMEOUT_MS} ms` : `exited ${code ?? signal}`;
        const detail = stderr.trim().slice(0, STDERR_KEPT);
        reject(new Error(`${why}${detail ? `: ${detail}` : ''}`));
      }
    });
  });
}

/** One untimed warm-up (page cache, first-run costs), then `iterations` timed runs in sequence. */
export async function runAnchor(spec: AnchorSpec, iterations: number, progress: PhaseProgress): Promise<AnchorResult> {
  const commandLine = [spec.command, ...spec.args].join(' ');
  const base = { name: spec.name, label: spec.label, commandLine };
  try {
    await timeSpawn(spec.command, spec.args, spec.env);
  } catch (err) {
    return { ...base, summary: null, unavailable: errorMessage(err), failures: [] };
  }
  const samples: number[] = [];
  const failures: string[] = [];
  progress.start(`anchor ${spec.name}`, iterations);
  try {
    for (let i = 0; i < iterations; i++) {
      try {
        samples.push(await timeSpawn(spec.command, spec.args, spec.env));
      } catch (err) {
        failures.push(errorMessage(err));
      }
      progress.tick();
    }
  } finally {
    progress.stop();
  }
  return { ...base, summary: summarize(samples), unavailable: null, failures };
}

function unavailable(name: AnchorName, label: string, why: string): AnchorResult {
  return { name, label, commandLine: '', summary: null, unavailable: why, failures: [] };
}

export interface AnchorOptions {
  readonly iterations: number;
  readonly skipSrt: boolean;
  readonly progress: PhaseProgress;
}

/** Every anchor, one after the other so they never compete for the CPUs. */
export async function measureAnchors(options: AnchorOptions): Promise<AnchorResult[]> {
  const { iterations, progress } = options;
  const results = [
    await runAnchor({ name: 'bare', label: 'bare spawn of /bin/true', command: '/bin/true', args: [] }, iterations, progress),
    await runAnchor({ name: 'bwrap', label: 'raw bwrap ... true', command: 'bwrap', args: rawBwrapArgv() }, iterations, progress),
  ];
  if (options.skipSrt) return results;
  // srt is a node program: node's own start-up is the floor under its figure.
  const nodeSpec: AnchorSpec = { name: 'node', label: 'node -e 0 (srt floor)', command: process.execPath, args: ['-e', '0'] };
  results.push(await runAnchor(nodeSpec, iterations, progress));
  const cli = resolveSrtCli();
  if (cli instanceof Error) {
    results.push(unavailable('srt', 'srt true (sandbox-runtime)', cli.message));
    return results;
  }
  const dir = await mkdtemp(join(tmpdir(), 'praetor-bench-srt-'));
  try {
    const settings = join(dir, 'srt-settings.json');
    await writeFile(settings, srtSettings());
    const srtSpec: AnchorSpec = {
      name: 'srt',
      label: 'srt true (sandbox-runtime)',
      command: process.execPath,
      args: [cli, '--settings', settings, 'true'],
    };
    results.push(await runAnchor(srtSpec, iterations, progress));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

// Replays a recording of nvidia-smi's loop modes (recordings/gpu/*.txt) through the real GPU
// sampler: its inventory query answered from the recording, its pmon and dmon streams fed the
// recorded lines, frame by frame, at a chosen pace. The bench and the tests use it on hosts
// without a GPU; on a GPU host the same sampler reads nvidia-smi itself.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PraetorError } from '../core/errors.js';
import type { Exec } from '../sandbox/gpu/gpu-inventory.js';
import type { LineSource, StreamSpawner } from '../monitor/resource/gpu-sampler.js';

export interface GpuRecording {
  readonly name: string;
  /** The recording's own header: what it is and where it came from. */
  readonly header: readonly string[];
  readonly inventory: string;
  readonly pmon: readonly string[];
  readonly dmon: readonly string[];
}

export const RECORDINGS = ['training', 'inference', 'miner', 'diverted'] as const;

/** recordings/gpu at the package root (dist/bench -> ../../recordings/gpu). */
export function recordingsDir(): string {
  return fileURLToPath(new URL('../../recordings/gpu/', import.meta.url));
}

export function parseRecording(name: string, text: string): GpuRecording {
  const sections = new Map<string, string[]>();
  const header: string[] = [];
  let current: string[] | null = null;
  for (const line of text.split('\n')) {
    const m = /^=== (\w+):/.exec(line);
    if (m?.[1] !== undefined) {
      current = [];
      sections.set(m[1], current);
    } else if (current === null) {
      if (line.trim() !== '') header.push(line);
    } else if (line.trim() !== '') current.push(line);
  }
  const inventory = sections.get('inventory');
  if (inventory === undefined) throw new PraetorError('invalid-config', `GPU recording ${name}: no inventory section`);
  return { name, header, inventory: `${inventory.join('\n')}\n`, pmon: sections.get('pmon') ?? [], dmon: sections.get('dmon') ?? [] };
}

export function loadRecording(name: string): GpuRecording {
  return parseRecording(name, readFileSync(`${recordingsDir()}${name}.txt`, 'utf8'));
}

/** Lines grouped per interval (a row's first cell is its time; header lines go with the next row). */
export function frames(lines: readonly string[]): string[][] {
  const out: string[][] = [];
  let pending: string[] = [];
  let key: string | null = null;
  for (const line of lines) {
    const t = line.trim();
    const k = t.startsWith('#') ? null : (t.split(/\s+/)[0] ?? null);
    if (k !== null && key !== null && k !== key && pending.some((l) => !l.trim().startsWith('#'))) {
      out.push(pending);
      pending = [];
    }
    if (k !== null) key = k;
    pending.push(line);
  }
  if (pending.length > 0) out.push(pending);
  return out;
}

export interface Replay {
  readonly exec: Exec;
  readonly spawnStream: StreamSpawner;
  /** Resolves once every stream has played every frame. */
  readonly finished: Promise<void>;
  /** performance.now() at which frame i of pmon was written. */
  readonly frameTimes: number[];
  /** Ends one stream as if nvidia-smi died ('pmon' or 'dmon'). */
  kill(stream: 'pmon' | 'dmon'): void;
}

/**
 * `paceMs`: pause between frames (0: as fast as the event loop goes; 1000: real time). `gate`: the
 * frames wait for it (a caller that watches its sandbox only after the sampler started loses none).
 */
export function replay(recording: GpuRecording, paceMs = 0, gate: Promise<void> = Promise.resolve()): Replay {
  const done: Promise<void>[] = [];
  const frameTimes: number[] = [];
  const live = new Map<string, { die: (why: string) => void }>();
  const exec: Exec = (_cmd, args) =>
    args[0]?.startsWith('--query-gpu') === true
      ? Promise.resolve(recording.inventory)
      : Promise.reject(new Error(`the replay of ${recording.name} does not answer nvidia-smi ${args.join(' ')}`));
  const spawnStream: StreamSpawner = (args) => {
    const kind = args[0] === 'pmon' ? 'pmon' : args[0] === 'dmon' ? 'dmon' : 'other';
    const lines = kind === 'pmon' ? recording.pmon : kind === 'dmon' ? recording.dmon : [];
    const onLine: ((l: string) => void)[] = [];
    const onExit: ((r: string) => void)[] = [];
    let stopped = false;
    const die = (why: string): void => {
      if (stopped) return;
      stopped = true;
      for (const l of onExit) l(why);
    };
    live.set(kind, { die });
    done.push(
      (async () => {
        await gate;
        for (const [i, frame] of frames(lines).entries()) {
          await new Promise((resolve) => (paceMs > 0 ? setTimeout(resolve, paceMs) : setImmediate(resolve)));
          if (stopped) return;
          if (kind === 'pmon') frameTimes[i] = performance.now();
          for (const line of frame) for (const l of onLine) l(line);
        }
      })(),
    );
    const source: LineSource = {
      onLine: (l) => onLine.push(l),
      onExit: (l) => onExit.push(l),
      kill: () => {
        stopped = true;
      },
    };
    return source;
  };
  return {
    exec,
    spawnStream,
    get finished() {
      return Promise.all(done).then(() => undefined);
    },
    frameTimes,
    kill: (stream) => live.get(stream)?.die(`nvidia-smi ${stream} exited (SIGKILL)`),
  };
}

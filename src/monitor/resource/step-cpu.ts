// What a step's cgroup leaf says about how it used the CPU: total, user and system time, and its
// memory peak; and what a process's schedstat says about the CPU it wanted and waited for. Read
// at a step's start and end (and, for the wait, while a busy step runs), never by polling idle
// sandboxes. Parsers are pure; the readers take an injectable readFile.
import { type CgroupLayout, sandboxDirs } from '../../sandbox/cgroup/cgroup-layout.js';
import { parseCounter, readCounterFile, type ReadText } from './cgroup-stats.js';

export interface StepCpu {
  readonly cpuSeconds: number;
  readonly userSeconds: number;
  readonly systemSeconds: number;
  /** Highest memory use of the leaf so far (v1 memory.max_usage_in_bytes, v2 memory.peak); null where the kernel has none. */
  readonly peakMemoryBytes: number | null;
}

/** v2 cpu.stat: usage_usec, user_usec and system_usec, in seconds. */
export function parseCpuStatTimes(text: string): { cpu: number; user: number; system: number } | null {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    const n = parseCounter(value ?? '');
    if (key !== undefined && n !== null) values.set(key, n / 1e6);
  }
  const cpu = values.get('usage_usec');
  const user = values.get('user_usec');
  const system = values.get('system_usec');
  return cpu === undefined || user === undefined || system === undefined ? null : { cpu, user, system };
}

/** /proc/PID/schedstat: nanoseconds on a CPU, nanoseconds runnable but waiting, timeslices. */
export function parseSchedstat(text: string): { runNs: number; waitNs: number } | null {
  const [run, wait] = text.trim().split(/\s+/);
  const runNs = parseCounter(run ?? '');
  const waitNs = parseCounter(wait ?? '');
  return runNs === null || waitNs === null ? null : { runNs, waitNs };
}

/** The files of a step leaf read here, per layout. */
export function stepCpuFiles(layout: CgroupLayout, sandboxId: string, leaf: string): { cpu: readonly string[]; peak: string; procs: string } {
  const dirs = sandboxDirs(layout, sandboxId);
  if (layout.kind === 'v2') {
    const d = `${dirs.v2}/${leaf}`;
    return { cpu: [`${d}/cpu.stat`], peak: `${d}/memory.peak`, procs: `${d}/cgroup.procs` };
  }
  const cpu = `${dirs.cpuacct}/${leaf}`;
  return {
    cpu: [`${cpu}/cpuacct.usage`, `${cpu}/cpuacct.usage_user`, `${cpu}/cpuacct.usage_sys`],
    peak: `${dirs.memory}/${leaf}/memory.max_usage_in_bytes`,
    procs: `${cpu}/cgroup.procs`,
  };
}

/** CPU times and memory peak of a step leaf; null when the leaf is gone or does not parse. */
export async function readStepCpu(layout: CgroupLayout, sandboxId: string, leaf: string, readFile: ReadText = readCounterFile): Promise<StepCpu | null> {
  const files = stepCpuFiles(layout, sandboxId, leaf);
  // every read starts now, before anything awaits: at a step's end the leaf may be removed soon after
  const [texts, peakText] = await Promise.all([
    Promise.all(files.cpu.map((f) => readFile(f).catch(() => null))),
    readFile(files.peak).catch(() => null),
  ]);
  const peakMemoryBytes = peakText === null ? null : parseCounter(peakText);
  if (layout.kind === 'v2') {
    const times = texts[0] === null || texts[0] === undefined ? null : parseCpuStatTimes(texts[0]);
    return times === null ? null : { cpuSeconds: times.cpu, userSeconds: times.user, systemSeconds: times.system, peakMemoryBytes };
  }
  const [cpu, user, system] = texts.map((t) => (t === null || t === undefined ? null : parseCounter(t)));
  if (cpu === null || cpu === undefined || user === null || user === undefined || system === null || system === undefined) return null;
  return { cpuSeconds: cpu / 1e9, userSeconds: user / 1e9, systemSeconds: system / 1e9, peakMemoryBytes };
}

/** Host pids in a step leaf now (empty when it is gone). */
export async function stepPids(layout: CgroupLayout, sandboxId: string, leaf: string, readFile: ReadText = readCounterFile): Promise<number[]> {
  const text = await readFile(stepCpuFiles(layout, sandboxId, leaf).procs).catch(() => '');
  return text
    .split('\n')
    .map((l) => parseCounter(l))
    .filter((n): n is number => n !== null);
}

/** Nanoseconds a process has waited for a CPU while runnable; null when it is gone. */
export async function readWaitNs(pid: number, readFile: ReadText = readCounterFile): Promise<number | null> {
  const text = await readFile(`/proc/${pid}/schedstat`).catch(() => null);
  return text === null ? null : (parseSchedstat(text)?.waitNs ?? null);
}

/** /proc/PID/io: bytes the process passed through read and write calls (rchar + wchar), cache hits included. */
export function parseProcIo(text: string): number | null {
  let rchar: number | null = null;
  let wchar: number | null = null;
  for (const line of text.split('\n')) {
    const [key, value] = line.split(':').map((x) => x.trim());
    if (key === 'rchar') rchar = parseCounter(value ?? '');
    if (key === 'wchar') wchar = parseCounter(value ?? '');
  }
  return rchar === null || wchar === null ? null : rchar + wchar;
}

/** Bytes read and written by a process so far; null when it is gone. */
export async function readIoBytes(pid: number, readFile: ReadText = readCounterFile): Promise<number | null> {
  const text = await readFile(`/proc/${pid}/io`).catch(() => null);
  return text === null ? null : parseProcIo(text);
}

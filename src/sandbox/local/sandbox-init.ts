// Starts a sandbox's init (praetor-spawn launch, which execs bubblewrap, whose child execs
// praetor-spawn pid1) and stops it at teardown. Split from local-backend.ts: the one part of
// creating a sandbox that talks to a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { PraetorError, errorMessage } from '../../core/errors.js';
import { netnsPath } from '../network/network-cell.js';
import type { DeviceBind } from '../gpu/gpu-devices.js';
import { buildInitArgv, HELPER_IN_SANDBOX } from './bwrap-argv.js';

const INIT_READY_TIMEOUT_MS = 10_000;

/** Launches the init; resolves once praetor-spawn pid1 runs, with the launcher (bubblewrap) and the init's pid. */
export function launchInit(args: {
  id: string;
  hostUid: number;
  initProcs: readonly string[];
  workspaceDir: string;
  tmpDir: string;
  devices: readonly DeviceBind[];
  seccompPath: string;
  helperPath: string;
  readOnlyBase: readonly string[];
}): Promise<{ child: ChildProcess; pid: number }> {
  const devices = args.devices;
  const argv = buildInitArgv({
    workspaceDir: args.workspaceDir,
    tmpDir: args.tmpDir,
    helperPath: args.helperPath,
    readOnlyPaths: args.readOnlyBase,
    devices,
    hostname: 'sandbox',
    seccompFd: 3,
    infoFd: 4,
  });
  const uid = String(args.hostUid);
  const helperArgs = ['launch', '--uid', uid, '--gid', uid, '--netns', netnsPath(args.id)];
  for (const f of args.initProcs) helperArgs.push('--cgroup', f);
  helperArgs.push('--', ...argv);
  const seccompFd = openSync(args.seccompPath, 'r');
  const child = spawn(args.helperPath, helperArgs, {
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    stdio: ['ignore', 'ignore', 'pipe', seccompFd, 'pipe'],
  });
  closeSync(seccompFd);
  child.unref();
  return new Promise((resolve, reject) => {
    let info = '';
    let announced = false;
    let stderr = '';
    // Settled once: the 'exit' and 'error' listeners outlive the setup, and a kill that fails
    // emits 'error' from inside kill() (it recursed until the stack overflowed without CAP_KILL).
    let settled = false;
    const timer = setTimeout(() => fail(`no answer within ${INIT_READY_TIMEOUT_MS} ms`), INIT_READY_TIMEOUT_MS);
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new PraetorError('sandbox-failure', `sandbox init failed: ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
    };
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const infoStream = child.stdio[4] as NodeJS.ReadableStream | null;
    infoStream?.on('data', (c: Buffer) => {
      info += c.toString();
      const m = /"child-pid":\s*(\d+)/.exec(info);
      if (m && !announced) {
        announced = true;
        const pid = Number(m[1]);
        // bubblewrap announces the pid before it has finished building the namespaces;
        // the sandbox is ready once that pid has exec'd praetor-spawn pid1.
        void waitForExec(pid, INIT_READY_TIMEOUT_MS).then(
          () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            for (const s of [child.stderr, infoStream]) (s as unknown as { unref?: () => void }).unref?.();
            resolve({ child, pid });
          },
          (err: unknown) => fail(errorMessage(err)),
        );
      }
    });
    child.on('error', (err) => fail(err.message));
    child.on('exit', (code, signal) => fail(`exited (${code ?? signal})`));
  });
}

/** Kills the sandbox's bubblewrap init and waits until it is reaped, so no zombie is left. */
export async function stopInit(init: ChildProcess | null): Promise<void> {
  if (init === null || init.exitCode !== null || init.signalCode !== null) return;
  // A kill the kernel refuses (EPERM) comes as 'error' and no exit ever follows: said, not awaited.
  const exited = new Promise<void>((resolve, reject) => {
    init.once('exit', () => resolve());
    init.once('error', reject);
  });
  init.ref(); // it was unref'd so it would not hold praetor open; now we wait for it
  init.kill('SIGKILL');
  await exited;
}

const PID1_CMDLINE = `${HELPER_IN_SANDBOX}\0pid1\0`;

function readCmdline(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return null;
  }
}

async function waitForExec(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A synchronous read: /proc answers from memory, and this polls every millisecond.
    const cmdline = readCmdline(pid);
    if (cmdline === PID1_CMDLINE) return;
    if (cmdline === null) throw new Error(`init process ${pid} vanished during setup`);
    if (Date.now() > deadline) throw new Error(`init process ${pid} not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

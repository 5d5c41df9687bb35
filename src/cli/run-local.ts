// `praetor run` in this process: a guard, a backend, one sandbox, one command, then everything
// torn down. Nothing it starts may outlive the work: the process exits as soon as it returns.
import type { ExecResult } from '../sandbox/backend.js';
import { openBackend } from '../sandbox/open-backend.js';
import { Guard } from '../guard/guard.js';
import { EXIT } from './exit-codes.js';
import { requireDirectory } from './cli-errors.js';
import { describeNetworkEvent, networkRows } from './network-format.js';
import { alertRows, describeAlert } from './alert-format.js';
import type { RunRequest } from './run-request.js';
import { phaseTimer } from './phase-timer.js';

/** Runs the request; resolves to the exit code. */
export async function runLocal(request: RunRequest): Promise<number> {
  const mark = phaseTimer(process.env.PRAETOR_TIMING === '1');
  mark('loaded');
  if (request.sandbox.workspace !== undefined) await requireDirectory(request.sandbox.workspace, '--workspace');
  // The command policy's modules (the shell parser, YAML, commander's Option) load only when asked for.
  const commandPolicy =
    request.policy === undefined && request.policyMode === undefined
      ? null
      : await import('./policy-flag.js').then(({ loadPolicyGate, terminalApprover }) => loadPolicyGate(request.policy, request.policyMode, request.json ? undefined : terminalApprover()));
  // GPU use is watched only where the run asks for GPUs: a sandbox without a grant has no GPU
  // device node to use, and a grant is refused unless the guard watches GPUs (or the run says
  // --allow-unmonitored-gpu). Asking nvidia-smi costs a process start on every run otherwise.
  const gpu = request.sandbox.gpus !== undefined;
  const guard = new Guard({ policy: { mode: request.guard }, gpu, ...(commandPolicy ? { commandPolicy } : {}) });
  const backend = openBackend({ observer: guard });
  if (!request.json) guard.events.subscribe({ kinds: ['alert'] }, (e) => process.stderr.write(`praetor: ${describeAlert(e.alert)}\n`));
  const onSignal = (): void => {
    void backend.close().finally(() => process.exit(EXIT.interrupted));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // The backend's shared start-up (denial reader, seccomp program) beside the guard's
    // monitors; no sandbox exists before both are up.
    // Both settle before anything is torn down.
    const started = await Promise.allSettled([guard.start(), backend.prepare?.()]);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    mark('guard and backend started');
    const sandbox = await backend.create(request.sandbox);
    mark('sandbox created');
    const result: ExecResult = await sandbox.exec([...request.command], {
      ...(request.timeoutSeconds !== undefined ? { timeoutMs: request.timeoutSeconds * 1000 } : {}),
      ...(request.json ? {} : { onStdout: (c) => process.stdout.write(c), onStderr: (c) => process.stderr.write(c) }),
    });
    mark('command exited');
    await sandbox.flushNetworkEvents();
    await guard.settle();
    mark('guard settled');
    const events = [...sandbox.networkEvents()];
    const alerts = [...guard.alerts(sandbox.id)];
    const actions = [...guard.actions(sandbox.id)];
    const policy = [...guard.policyDecisions(sandbox.id)];
    await backend.close();
    mark('sandbox destroyed');
    if (request.json) {
      process.stdout.write(
        `${JSON.stringify({
          sandboxId: sandbox.id,
          exitCode: result.exitCode,
          signal: result.signal,
          timedOut: result.timedOut,
          durationMs: Math.round(result.durationMs * 10) / 10,
          stdout: result.stdout.toString(),
          stderr: result.stderr.toString(),
          stdoutTruncated: result.stdoutTruncated,
          stderrTruncated: result.stderrTruncated,
          network: networkRows(events),
          alerts: alertRows(alerts),
          actions,
          policy,
        })}\n`,
      );
    } else {
      for (const e of events) process.stderr.write(`praetor: ${describeNetworkEvent(e)}\n`);
      if (result.timedOut) process.stderr.write(`praetor: killed after --timeout ${request.timeoutText ?? ''}s\n`);
    }
    return result.timedOut ? EXIT.timeout : (result.exitCode ?? 128 + 9);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await backend.close().catch(() => undefined);
    await guard.stop();
    mark('guard stopped');
  }
}

// Shared set-up of the guard's invariant tests: loopback targets, a started guard, a local backend
// wired to it. Root is required (CI is root); these tests never skip.
import { Guard, type GuardOptions } from '../guard/guard.js';
import { LocalBackend } from '../sandbox/local/local-backend.js';
import type { ExecOptions, ExecResult, Sandbox } from '../sandbox/backend.js';
import type { Alert } from '../detect/alert.js';
import { startLoopbackTargets, type LoopbackTargets } from '../bench/loopback-targets.js';

export interface GuardWorld {
  readonly guard: Guard;
  readonly backend: LocalBackend;
  readonly fakes: LoopbackTargets;
  close(): Promise<void>;
}

export async function startGuardWorld(options: GuardOptions = {}): Promise<GuardWorld> {
  if (process.getuid?.() !== 0) throw new Error('guard invariant tests need root (CI runs as root)');
  const fakes = await startLoopbackTargets();
  const guard = new Guard({ resourceIntervalMs: 500, ...options });
  await guard.start();
  const backend = new LocalBackend({ resolver: fakes.resolver, allowCidrs: fakes.allowCidrs, observer: guard });
  return {
    guard,
    backend,
    fakes,
    close: async () => {
      await backend.close();
      await guard.stop();
      await fakes.close();
    },
  };
}

export async function bash(sandbox: Sandbox, script: string, options: ExecOptions = {}): Promise<ExecResult & { out: string }> {
  const r = await sandbox.exec(['bash', '-c', script], { timeoutMs: 60_000, ...options });
  return { ...r, out: r.stdout.toString() + r.stderr.toString() };
}

/** Waits until `predicate` holds over the sandbox's alerts (the guard works asynchronously). */
export async function waitForAlerts(
  world: GuardWorld,
  sandbox: Sandbox,
  predicate: (alerts: readonly Alert[]) => boolean,
  timeoutMs = 15_000,
): Promise<readonly Alert[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await sandbox.flushNetworkEvents();
    const alerts = world.guard.alerts(sandbox.id);
    if (predicate(alerts)) return alerts;
    if (Date.now() > deadline) return alerts;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function summary(alerts: readonly Alert[]): string {
  return alerts.map((a) => `${a.ruleId}/${a.technique}@${a.step}`).join(', ') || 'no alerts';
}

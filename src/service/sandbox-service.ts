// The sandboxes API's operations, apart from HTTP: create (from the warm pool when the options
// allow), exec as a step with its alerts, freeze, thaw, destroy; each checked against the caller.
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { SandboxOptionsSchema, type ExecOptions, type ExecResult, type Sandbox, type SandboxBackend, type SandboxOptions } from '../sandbox/backend.js';
import type { SandboxPool } from '../sandbox/sandbox-pool.js';
import { PraetorError } from '../core/errors.js';
import type { Guard } from '../guard/guard.js';
import { GuardPolicySchema, type GuardMode } from '../guard/guard-policy.js';
import { ApiError, notFound } from './api-error.js';
import { canSee, type Principal } from './auth.js';
import type { EventHub } from './event-hub.js';
import type { QuotaLedger } from './quota-ledger.js';
import type { ServiceMetrics } from './service-metrics.js';
import { canFreeze, ServiceSandbox } from './service-sandbox.js';
import { DEFAULT_EXEC_TIMEOUT_MS, type ExecBody, type ExecResultView, type SandboxCreate } from './sandbox-schemas.js';
import { alertView } from './guard-feed.js';
import { archiveLimits, checkArchive } from './tar-archive.js';
import { putSandboxArchive } from './sandbox-files.js';

export interface SandboxServiceDeps {
  readonly backend: SandboxBackend;
  readonly guard: Guard;
  readonly pool: SandboxPool | null;
  readonly hub: EventHub;
  readonly metrics: ServiceMetrics;
  readonly quotas: QuotaLedger;
  readonly defaultGuardMode: GuardMode;
  readonly log: Logger;
  /** Largest upload in bytes; bounds workspace archives (default 64 MiB). */
  readonly uploadBytes?: number;
  /** Creations run at once; more wait their turn (default 16). */
  readonly createConcurrency?: number;
}

/** Options a warm sandbox was made with; env and labels are the service's, so they never disqualify one. */
const POOL_TEMPLATE = SandboxOptionsSchema.parse({});
const DEFAULT_OUTPUT_CAP = 2 ** 20;
const DEFAULT_UPLOAD = 64 * 2 ** 20;

const round = (ms: number): number => Math.round(ms * 100) / 100;

function poolable(o: SandboxOptions): boolean {
  const t = POOL_TEMPLATE;
  const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
  return (
    o.cpus === t.cpus &&
    o.memory === t.memory &&
    o.pids === t.pids &&
    o.disk === t.disk &&
    o.gpu === t.gpu &&
    o.gpus === undefined &&
    same(o.allowDomains, t.allowDomains) &&
    same(o.denyDomains, t.denyDomains) &&
    same(o.allowCidrs, t.allowCidrs)
  );
}

export class SandboxService {
  private readonly sandboxes = new Map<string, ServiceSandbox>();
  private readonly limitCreate: ReturnType<typeof pLimit>;
  /** Destroys under way that no request waits for (one-shot runs); shutdown waits for them. */
  private readonly discarding = new Set<Promise<void>>();

  constructor(private readonly deps: SandboxServiceDeps) {
    this.limitCreate = pLimit(deps.createConcurrency ?? 16);
  }

  get alive(): number {
    return this.sandboxes.size;
  }

  ownerOf(id: string): string | undefined {
    return this.sandboxes.get(id)?.owner;
  }

  async create(who: Principal, body: SandboxCreate): Promise<ServiceSandbox> {
    const started = performance.now();
    const { guardMode, guardMinSeverity, workspaceTar, ...input } = body;
    const options = SandboxOptionsSchema.parse(input);
    // Internal ranges a sandbox may reach are the host operator's call, not a tenant's: an
    // allowCidrs from a non-admin key would reopen the metadata service and the host's LAN.
    if (options.allowCidrs.length > 0 && who.scope !== 'admin') {
      throw new ApiError(403, 'forbidden', `a key with scope "${who.scope}" may not set allowCidrs (admin only)`);
    }
    const archive = workspaceTar === undefined ? null : await checkArchive(Buffer.from(workspaceTar, 'base64'), archiveLimits(this.deps.uploadBytes ?? DEFAULT_UPLOAD));
    const release = this.deps.quotas.take(who, { cpus: options.cpus, memoryBytes: options.memory });
    let sandbox: Sandbox;
    const fromPool = this.deps.pool !== null && poolable(options);
    try {
      sandbox = await this.limitCreate(() => (fromPool && this.deps.pool ? this.deps.pool.acquire() : this.deps.backend.create({ ...options, env: {} })));
    } catch (err) {
      release();
      throw err;
    }
    const policy = GuardPolicySchema.parse({ mode: guardMode ?? this.deps.defaultGuardMode, ...(guardMinSeverity ? { minSeverity: guardMinSeverity } : {}) });
    try {
      this.deps.guard.setPolicy(sandbox.id, policy);
    } catch (err) {
      // Fail closed: a sandbox the guard does not watch is not handed out.
      release();
      await sandbox.destroy().catch(() => undefined);
      throw new ApiError(503, 'guard-unavailable', `the guard does not watch sandbox ${sandbox.id}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const record = new ServiceSandbox({ sandbox, owner: who.keyId, options, policy, release });
    this.sandboxes.set(record.id, record);
    if (archive !== null) {
      try {
        await putSandboxArchive(sandbox, '/workspace', archive.tar);
      } catch (err) {
        await this.remove(record);
        throw err;
      }
    }
    const source = fromPool ? 'pool' : 'fresh';
    this.deps.metrics.sandboxesCreated.inc({ source });
    this.deps.metrics.createSeconds.observe({ source }, (performance.now() - started) / 1000);
    this.lifecycle(record, 'created');
    return record;
  }

  /** The caller's sandbox; someone else's answers 404, as an unknown id does. */
  get(who: Principal, id: string): ServiceSandbox {
    const record = this.sandboxes.get(id);
    if (!record || !canSee(who, record.owner)) throw notFound(`sandbox ${id.slice(0, 128)}`);
    return record;
  }

  list(who: Principal): ServiceSandbox[] {
    return [...this.sandboxes.values()].filter((s) => canSee(who, s.owner));
  }

  isAlive(record: ServiceSandbox): boolean {
    return this.deps.backend.get(record.id) !== undefined;
  }

  view(record: ServiceSandbox): ReturnType<ServiceSandbox['view']> {
    return record.view(this.deps.guard, this.isAlive(record));
  }

  /** A sandbox that can take a step now: 409 when frozen or destroyed. */
  usable(who: Principal, id: string): ServiceSandbox {
    const record = this.get(who, id);
    const state = record.state(this.deps.guard, this.isAlive(record));
    if (state !== 'running') throw new ApiError(409, `sandbox-${state}`, `sandbox ${id} is ${state}`);
    return record;
  }

  async exec(who: Principal, id: string, body: ExecBody, taps: Pick<ExecOptions, 'onStdout' | 'onStderr' | 'signal'> = {}): Promise<ExecResultView> {
    const record = this.usable(who, id);
    const argv = typeof body.command === 'string' ? ['bash', '-c', body.command] : body.command;
    return this.step(record, 'exec', (sandbox) =>
      sandbox.exec(argv, {
        cwd: body.cwd ?? '/workspace',
        env: { ...record.options.env, ...body.env },
        timeoutMs: body.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
        maxOutputBytes: body.maxOutputBytes ?? DEFAULT_OUTPUT_CAP,
        ...(body.stdin !== undefined ? { stdin: body.stdin } : {}),
        ...taps,
      }),
    );
  }

  /** Runs one step and answers with its result, its alerts and the guard's actions on them. */
  async step(record: ServiceSandbox, kind: string, run: (sandbox: Sandbox) => Promise<ExecResult>): Promise<ExecResultView> {
    const started = performance.now();
    const result = await record.track(run(record.sandbox)).catch((err: unknown) => {
      if (err instanceof PraetorError && err.code === 'sandbox-not-found') throw new ApiError(409, 'sandbox-destroyed', `sandbox ${record.id} was destroyed`);
      throw err;
    });
    const ran = performance.now();
    // Denials the kernel logged during the step reach the guard first; then its enforcement settles.
    await record.sandbox.flushNetworkEvents().catch(() => undefined);
    await this.deps.guard.settle();
    const { alerts, actions } = this.alertsOf(record.id, result.step);
    const done = performance.now();
    this.deps.metrics.execSeconds.observe({ kind }, (done - started) / 1000);
    // no object built per step when debug is off
    if (this.deps.log.isLevelEnabled('debug')) {
      this.deps.log.debug({ sandbox: record.id, step: result.step, kind, runMs: round(ran - started), settleMs: round(done - ran), alerts: alerts.length }, 'step');
    }
    return {
      step: result.step,
      exitCode: result.exitCode,
      signal: result.signal,
      stdout: result.stdout.toString('utf8'),
      stderr: result.stderr.toString('utf8'),
      stdoutTruncated: result.stdoutTruncated,
      stderrTruncated: result.stderrTruncated,
      timedOut: result.timedOut,
      durationMs: Math.round(result.durationMs * 1000) / 1000,
      alerts,
      actions,
    };
  }

  /** The caller's sandbox's alerts (of one step, when given) and the guard's actions on them. */
  alerts(who: Principal, id: string, step?: number): Pick<ExecResultView, 'alerts' | 'actions'> {
    return this.alertsOf(this.get(who, id).id, step);
  }

  private alertsOf(id: string, step?: number): Pick<ExecResultView, 'alerts' | 'actions'> {
    const alerts = this.deps.guard.alerts(id).filter((a) => step === undefined || a.step === step);
    const ids = new Set(alerts.map((a) => a.id));
    return {
      alerts: alerts.map(alertView) as ExecResultView['alerts'],
      actions: this.deps.guard.actions(id).filter((a) => ids.has(a.alertId)),
    };
  }

  async setFrozen(who: Principal, id: string, frozen: boolean): Promise<ServiceSandbox> {
    const record = this.get(who, id);
    if (!this.isAlive(record)) throw new ApiError(409, 'sandbox-destroyed', `sandbox ${id} is destroyed`);
    if (!canFreeze(record.sandbox)) throw new ApiError(501, 'not-supported', `the ${this.deps.backend.name} backend can not freeze sandboxes`);
    await record.sandbox.setFrozen(frozen);
    record.markFrozen(frozen);
    this.lifecycle(record, frozen ? 'frozen' : 'thawed');
    return record;
  }

  async destroy(who: Principal, id: string): Promise<void> {
    await this.remove(this.get(who, id));
  }

  /**
   * Destroys the sandbox without making the caller wait (a one-shot run's, once its exit is sent):
   * at once it is gone from the API and its quota is back; shutdown waits for the teardown.
   */
  discard(record: ServiceSandbox): void {
    const work = this.remove(record).catch((err: unknown) =>
      this.deps.log.warn({ sandbox: record.id, err: err instanceof Error ? err.message : String(err) }, 'destroy failed'),
    );
    this.discarding.add(work);
    void work.finally(() => this.discarding.delete(work));
  }

  /** Destroys every sandbox (shutdown): running steps die with them. */
  async destroyAll(): Promise<void> {
    await Promise.allSettled([...[...this.sandboxes.values()].map((s) => this.remove(s)), ...this.discarding]);
  }

  /** Execs under way in all sandboxes. */
  running(): Promise<unknown>[] {
    return [...this.sandboxes.values()].flatMap((s) => [...s.running]);
  }

  private async remove(record: ServiceSandbox): Promise<void> {
    this.sandboxes.delete(record.id);
    if (!record.markGone()) return;
    try {
      // A frozen sandbox is thawed by its teardown's kill; destroy works either way.
      await record.sandbox.destroy();
    } finally {
      this.lifecycle(record, 'destroyed');
    }
  }

  private lifecycle(record: ServiceSandbox, phase: string): void {
    this.deps.log.info({ sandbox: record.id, key: record.owner, phase }, `sandbox ${phase}`);
    this.deps.hub.publish({ type: 'sandbox', sandbox: record.id, step: null, time: Date.now(), data: { phase, owner: record.owner } });
  }
}

// The enforcement point of the command policy: given what a sandbox is about to do, decide with
// the engine, hold an `ask` until an approver answers (or a timeout denies), and return the record
// of the decision. The guard consults it before every exec, file write and read, at the proxy,
// and on every process the process monitor sees start. A check that throws denies.
import { randomUUID } from 'node:crypto';
import type { SandboxAction } from '../sandbox/observer.js';
import type { Approver } from './approval.js';
import type { PolicyEngine, PolicyVerdict } from './policy-engine.js';
import type { PolicyDecisionRecord } from './policy-record.js';

export interface PolicyGateOptions {
  /** Who answers asks; without one an ask is denied at once. */
  readonly approver?: Approver;
  /** How long an ask waits for its answer (default 5 minutes). */
  readonly approvalTimeoutMs?: number;
}

const DEFAULT_APPROVAL_TIMEOUT_MS = 300_000;

function describeAction(action: SandboxAction): string {
  switch (action.kind) {
    case 'exec':
      return action.argv.length === 3 && action.argv[1] === '-c' ? (action.argv[2] ?? '') : action.argv.join(' ');
    case 'write-file':
    case 'read-file':
      return action.path;
  }
}

export class PolicyGate {
  constructor(
    readonly engine: PolicyEngine,
    private readonly options: PolicyGateOptions = {},
  ) {}

  /** The verdict alone, without asking anyone. */
  verdict(action: SandboxAction): PolicyVerdict {
    switch (action.kind) {
      case 'exec':
        return this.engine.checkArgv(action.argv, { env: action.env, cwd: action.cwd, ...(action.stdin !== null ? { stdin: action.stdin } : {}) });
      case 'write-file':
        return this.engine.checkWrite(action.path);
      case 'read-file':
        return this.engine.checkRead(action.path);
    }
  }

  /** Decides an action before it runs; an ask waits for the approver. Never throws: a failure denies. */
  async decide(sandboxId: string, step: number | null, action: SandboxAction): Promise<PolicyDecisionRecord> {
    const target = describeAction(action);
    let verdict: PolicyVerdict;
    try {
      verdict = this.verdict(action);
    } catch (err) {
      return this.failed(sandboxId, step, action.kind, target, err);
    }
    return this.settle(sandboxId, step, action.kind, target, verdict);
  }

  /** Egress through the proxy to host:port. */
  async decideNetwork(sandboxId: string, step: number | null, host: string, port: number): Promise<PolicyDecisionRecord> {
    try {
      return await this.settle(sandboxId, step, 'network', `${host}:${port}`, this.engine.checkNetwork(host, port));
    } catch (err) {
      return this.failed(sandboxId, step, 'network', `${host}:${port}`, err);
    }
  }

  /**
   * A process already started (seen by the process monitor): only a rule's deny counts here (it is
   * killed); what can not be resolved or would be asked about is left to the pre-exec check and
   * the guard. Returns null when it may run.
   */
  checkProcess(sandboxId: string, step: number | null, argv: readonly string[], pid: number): PolicyDecisionRecord | null {
    let verdict: PolicyVerdict;
    try {
      verdict = this.engine.checkArgv(argv);
    } catch {
      return null;
    }
    const denied = verdict.parts.find((p) => p.decision === 'deny' && p.rule !== null && p.rule.id !== 'unknown-command');
    if (denied === undefined || denied.rule === null) return null;
    const rule = denied.rule;
    return {
      ...this.base(sandboxId, step, 'process', argv.join(' ')),
      decision: 'deny',
      final: 'deny',
      ruleId: rule.id,
      tier: rule.tier,
      technique: rule.technique,
      reason: rule.reason,
      pid,
    };
  }

  private base(sandboxId: string, step: number | null, source: PolicyDecisionRecord['source'], target: string): Omit<PolicyDecisionRecord, 'decision' | 'final' | 'ruleId' | 'tier' | 'technique' | 'reason'> {
    return { time: Date.now(), sandboxId, step, source, target: target.length > 2000 ? `${target.slice(0, 2000)}…` : target, approval: null, pid: null };
  }

  private failed(sandboxId: string, step: number | null, source: PolicyDecisionRecord['source'], target: string, err: unknown): PolicyDecisionRecord {
    return {
      ...this.base(sandboxId, step, source, target),
      decision: 'deny',
      final: 'deny',
      ruleId: null,
      tier: null,
      technique: null,
      reason: `the policy check failed, so praetor refuses: ${err instanceof Error ? err.message : String(err)}`,
    };
  }

  private async settle(sandboxId: string, step: number | null, source: PolicyDecisionRecord['source'], target: string, verdict: PolicyVerdict): Promise<PolicyDecisionRecord> {
    const rule = verdict.rule;
    const record: PolicyDecisionRecord = {
      ...this.base(sandboxId, step, source, target),
      decision: verdict.decision,
      final: verdict.decision === 'allow' ? 'allow' : 'deny',
      ruleId: rule?.id ?? null,
      tier: rule?.tier ?? null,
      technique: rule?.technique ?? null,
      reason: rule === null ? verdict.reason : `${rule.reason} (policy rule ${rule.id}${rule.technique ? `, ${rule.technique}` : ''})`,
    };
    if (verdict.decision !== 'ask') return record;
    const approver = this.options.approver;
    if (approver === undefined) return { ...record, reason: `${record.reason}; no one can approve it here, so it is refused` };
    const started = Date.now();
    const controller = new AbortController();
    const timeoutMs = this.options.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const answer = await approver.request(
        { id: randomUUID(), sandboxId, step, source, target: record.target, rule, reason: verdict.reason, createdAt: started },
        controller.signal,
      );
      const approval = { by: answer.by, decision: answer.decision, waitedMs: Date.now() - started };
      return { ...record, final: answer.decision, approval, reason: answer.decision === 'allow' ? record.reason : `${record.reason}; refused by ${answer.by}` };
    } catch {
      return { ...record, reason: `${record.reason}; no approval within ${Math.round(timeoutMs / 1000)} s, so it is refused` };
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  }
}

// How layers above the sandbox (the guard) watch and steer it without the sandbox importing
// them: a backend calls these hooks; every hook is optional.
import type { ExecResult, Sandbox } from './backend.js';
import type { MonitorFailure } from './monitor-source.js';

export interface EgressContext {
  readonly sandboxId: string;
  readonly host: string;
  readonly port: number;
  /** The proxy's id of the stream. */
  readonly connectionId: number;
  /** Source port of the sandbox side, which identifies the process that opened the stream. */
  readonly clientPort: number | null;
}

export interface EgressCheck extends EgressContext {
  /** What the sandbox's own domain policy decided; a denial there stands whatever the hook says. */
  readonly policyAllowed: boolean;
}

export interface EgressDenial {
  readonly allowed: false;
  readonly reason: string;
}

export interface SandboxObserver {
  /**
   * Asked for every egress request, after the sandbox's domain policy; a denial blocks a request
   * the policy allowed. A hook that throws or rejects denies: the proxy fails closed.
   */
  checkEgress?(ctx: EgressCheck): EgressDenial | null | Promise<EgressDenial | null>;
  /** First chunk each direction of an allowed stream, before it is forwarded; throwing tears the stream down. */
  inspectStream?(ctx: EgressContext & { readonly direction: 'out' | 'in' }, chunk: Buffer): void;
  sandboxCreated?(sandbox: Sandbox): void;
  sandboxDestroyed?(sandboxId: string): void;
  /**
   * Asked before each exec (a step) begins: a promise holds the step until it resolves; a throw or
   * rejection refuses it, and nothing runs. The guard holds steps while a monitor is down.
   */
  admitStep?(sandboxId: string, argv: readonly string[]): void | Promise<void>;
  stepStarted?(sandboxId: string, step: number, argv: readonly string[]): void;
  stepEnded?(sandboxId: string, step: number, result: ExecResult): void;
  /** A monitor of the backend's own (the firewall's denial reader) stopped seeing: fail closed. */
  monitorDown?(failure: MonitorFailure): void;
  /** That monitor sees again (restarted). */
  monitorUp?(monitor: string): void;
}

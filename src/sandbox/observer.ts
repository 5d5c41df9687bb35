// How layers above the sandbox (the guard) watch and steer it without the sandbox importing
// them: a backend calls these hooks; every hook is optional.
import type { ExecResult, Sandbox } from './backend.js';
import type { MonitorFailure } from './monitor-source.js';
import type { ProxyMethod } from './network/network-events.js';

export interface EgressContext {
  readonly sandboxId: string;
  readonly host: string;
  readonly port: number;
  /** The proxy's id of the stream. */
  readonly connectionId: number;
  /** Source port of the sandbox side, which identifies the process that opened the stream. */
  readonly clientPort: number | null;
}

/** An allowed stream being inspected: which way the chunk goes, what kind of request, where it went. */
export interface StreamContext extends EgressContext {
  readonly direction: 'out' | 'in';
  /** CONNECT: a tunnel, raw bytes; HTTP: an absolute-form request, body bytes (its Host is the proxy's). */
  readonly method: ProxyMethod;
  /** The address the proxy connected to, and its internal class when an allowance let it through. */
  readonly resolvedAddress: string | null;
  readonly addressClass: string | null;
}

export interface EgressCheck extends EgressContext {
  /** What the sandbox's own domain policy decided; a denial there stands whatever the hook says. */
  readonly policyAllowed: boolean;
}

export interface EgressDenial {
  readonly allowed: false;
  readonly reason: string;
}

/** What a sandbox is about to do for its caller; `authorize` sees it before anything runs. */
export type SandboxAction =
  | {
      readonly kind: 'exec';
      readonly argv: readonly string[];
      readonly cwd: string;
      /** The environment the command gets (the sandbox's and the exec's own variables). */
      readonly env: Readonly<Record<string, string>>;
      readonly stdin: string | null;
    }
  | { readonly kind: 'write-file'; readonly path: string }
  | { readonly kind: 'read-file'; readonly path: string };

export interface ActionRefusal {
  /** Why, worded for the agent: it becomes the refused exec's stderr or the tool's error. */
  readonly reason: string;
}

export interface SandboxObserver {
  /**
   * Asked before every exec, file write and file read, with the step it will run as; it may take
   * its time (a person approving). A refusal means nothing starts; a hook that throws refuses.
   */
  authorize?(sandboxId: string, step: number, action: SandboxAction): ActionRefusal | null | Promise<ActionRefusal | null>;
  /**
   * Asked for every egress request, after the sandbox's domain policy; a denial blocks a request
   * the policy allowed. A hook that throws or rejects denies: the proxy fails closed.
   */
  checkEgress?(ctx: EgressCheck): EgressDenial | null | Promise<EgressDenial | null>;
  /**
   * First chunk each direction of an allowed stream, before it is forwarded; returning true asks for
   * the next chunk too (up to the proxy's budget); throwing tears the stream down.
   */
  inspectStream?(ctx: StreamContext, chunk: Buffer): boolean | void;
  sandboxCreated?(sandbox: Sandbox): void;
  sandboxDestroyed?(sandboxId: string): void;
  /**
   * Asked before each exec (a step) begins: a promise holds the step until it resolves; a throw or
   * rejection refuses it, and nothing runs. The guard holds steps while a monitor is down.
   */
  admitStep?(sandboxId: string, argv: readonly string[]): void | Promise<void>;
  stepStarted?(sandboxId: string, step: number, argv: readonly string[]): void;
  stepEnded?(sandboxId: string, step: number, result: ExecResult): void;
  /**
   * Whether GPU use is watched on this host ('on'), before a GPU grant is made: anything else refuses
   * the grant unless the sandbox says allowUnmonitoredGpu. No hook: not watched.
   */
  gpuWatch?(): 'on' | 'off' | 'unavailable';
  /** A monitor of the backend's own (the firewall's denial reader) stopped seeing: fail closed. */
  monitorDown?(failure: MonitorFailure): void;
  /** That monitor sees again (restarted). */
  monitorUp?(monitor: string): void;
}

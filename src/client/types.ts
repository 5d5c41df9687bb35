// The shapes praetord's API sends and takes (API-CONTRACT.md), written as plain interfaces: the
// client must not load zod or the service to be typed.

export type GuardMode = 'monitor' | 'block' | 'freeze' | 'terminate';
export type SandboxState = 'running' | 'frozen' | 'destroyed';

/** Options of `POST /v1/sandboxes`: the library's sandbox options; a request never names a host path. */
export interface SandboxCreateOptions {
  readonly cpus?: number;
  /** Bytes, or a size such as `512m`, `2g`. */
  readonly memory?: string | number;
  readonly pids?: number;
  readonly disk?: string | number;
  readonly env?: Readonly<Record<string, string>>;
  readonly allowDomains?: readonly string[];
  readonly denyDomains?: readonly string[];
  readonly allowCidrs?: readonly string[];
  readonly gpus?: number | readonly string[];
  readonly guardMode?: GuardMode;
  /** A tar of the workspace, base64; `workspace` in `Praetor.sandboxes.create` builds it from bytes. */
  readonly workspaceTar?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly [option: string]: unknown;
}

export interface SandboxRecord {
  readonly id: string;
  /** Id of the key that created it. */
  readonly owner: string;
  readonly createdAt: string | number;
  readonly state: SandboxState;
  readonly options: Readonly<Record<string, unknown>>;
  readonly node?: string;
}

export interface ExecRequest {
  /** A string runs with `bash -lc`; an array is an argv. */
  readonly command: string | readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly stdin?: string;
}

export interface Alert {
  readonly rule?: string;
  readonly ruleId?: string;
  readonly severity: string;
  readonly technique: string;
  readonly sandbox?: string;
  readonly sandboxId?: string;
  /** The sandbox step (exec) that caused it. */
  readonly step: number | null;
  readonly pid?: number | null;
  readonly evidence?: unknown;
  readonly time: string | number;
  readonly [field: string]: unknown;
}

export interface GuardAction {
  readonly [field: string]: unknown;
}

export interface ExecResult {
  readonly step: number;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
  readonly alerts: readonly Alert[];
  readonly actions: readonly GuardAction[];
  readonly [field: string]: unknown;
}

/** What `execStream` yields while the command runs; `exit` comes last. */
export type ExecEvent =
  | { readonly type: 'stdout'; readonly data: string }
  | { readonly type: 'stderr'; readonly data: string }
  | { readonly type: 'alert'; readonly alert: Alert }
  | { readonly type: 'action'; readonly action: GuardAction }
  | { readonly type: 'exit'; readonly result: ExecResult };

export type EventType = 'alert' | 'action' | 'network' | 'step';

/** One event of `GET /v1/events`. */
export interface PraetorEvent {
  readonly type: string;
  readonly sandbox: string;
  readonly step?: number | null;
  readonly episode?: string | null;
  readonly time: string | number;
  readonly [field: string]: unknown;
}

export interface FileEntry {
  readonly name: string;
  readonly type: string;
  readonly size: number;
}

/** A tool call of the environment protocol, or `{name: 'submit'}` to end the episode. */
export interface EnvAction {
  readonly id?: string;
  readonly name: string;
  readonly arguments?: Readonly<Record<string, unknown>>;
}

export interface EnvInfo {
  readonly episodeId: string;
  readonly step: number;
  readonly alerts: readonly Alert[];
  readonly denied: boolean;
  readonly sandboxSteps: readonly number[];
  readonly status?: string;
  readonly verifierReward?: number | null;
  readonly penalty?: number;
  readonly safetyLabel?: string;
}

export interface EnvReset {
  readonly observation: string;
  readonly info: EnvInfo;
}

export interface EnvStep {
  readonly observation: string;
  readonly reward: number;
  readonly terminated: boolean;
  readonly truncated: boolean;
  readonly info: EnvInfo;
}

/** A task of the environment protocol (the episode model's task: id, instruction, setup, verifier, ...). */
export interface EnvTask {
  readonly id: string;
  readonly instruction: string;
  readonly setup?: readonly string[];
  readonly verifier?: string;
  readonly budgets?: { readonly maxSteps?: number; readonly maxSeconds?: number; readonly maxTokens?: number };
  readonly sandbox?: Readonly<Record<string, unknown>>;
  readonly [field: string]: unknown;
}

export interface ApiKeyCreated {
  readonly id: string;
  /** Shown once. */
  readonly key: string;
}

export interface ApiKeyInfo {
  readonly id: string;
  readonly name: string;
  readonly scope: string;
  readonly [field: string]: unknown;
}

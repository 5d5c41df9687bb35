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
  readonly gpuShared?: boolean;
  readonly allowUnmonitoredGpu?: boolean;
  readonly guardMode?: GuardMode;
  /** A tar of the workspace, base64; `workspace` in `Praetor.sandboxes.create` builds it from bytes. */
  readonly workspaceTar?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly [option: string]: unknown;
}

export interface SandboxRecord {
  readonly id: string;
  /** Id of the key that created it (`local` on the unix socket without a key). */
  readonly owner: string;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly state: SandboxState;
  /** Steps (execs) begun so far. */
  readonly steps?: number;
  readonly options: Readonly<Record<string, unknown>>;
  readonly node?: string;
}

export interface ExecRequest {
  /** A string runs with bash; an array is the argv itself. */
  readonly command: string | readonly string[];
  /** Inside the sandbox; default /workspace. */
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** UTF-8 text written to the command's stdin. */
  readonly stdin?: string;
  /** Bytes kept of each of stdout and stderr. */
  readonly maxOutputBytes?: number;
}

export interface Alert {
  readonly id: string;
  readonly ruleId: string;
  readonly title?: string;
  /** MITRE ATT&CK technique. */
  readonly technique: string;
  readonly tactic?: string;
  readonly severity: 'low' | 'medium' | 'high' | 'critical' | (string & {});
  readonly time: number;
  readonly sandboxId: string;
  /** The sandbox step (exec) that caused it. */
  readonly step: number | null;
  readonly pid: number | null;
  readonly argv?: readonly string[] | null;
  readonly evidence?: readonly Readonly<Record<string, unknown>>[];
  readonly latencyMs?: number;
  readonly description?: string;
  /** The line the CLI prints for it (`praetor: <line>`); sent in a one-shot run's stream. */
  readonly line?: string;
}

export interface GuardAction {
  readonly time: number;
  readonly sandboxId: string;
  readonly alertId: string;
  readonly action: 'record' | 'deny-stream' | 'kill-tree' | 'kill-step' | 'freeze' | 'thaw' | 'terminate' | (string & {});
  readonly target: string | null;
  readonly ok: boolean;
  readonly error: string | null;
}

export interface ExecResult {
  readonly step: number;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** UTF-8 (invalid bytes replaced). */
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  readonly timedOut: boolean;
  readonly durationMs: number;
  /** Alerts this step raised by the time it ended. */
  readonly alerts: readonly Alert[];
  readonly actions: readonly GuardAction[];
}

/** What `execStream` yields while the command runs; `exit` comes last. */
export type ExecEvent =
  | { readonly type: 'stdout'; readonly data: string; /** The exact bytes, where the stream sends them (a one-shot run). */ readonly bytes?: Buffer }
  | { readonly type: 'stderr'; readonly data: string; readonly bytes?: Buffer }
  | { readonly type: 'alert'; readonly alert: Alert }
  | { readonly type: 'action'; readonly action: GuardAction }
  | { readonly type: 'exit'; readonly result: ExecResult };

/** What a one-shot `run` yields: first the sandbox made for it, then the events of its step. */
export type RunEvent = { readonly type: 'sandbox'; readonly id: string } | ExecEvent;

export interface SessionOptions {
  /** Starting directory (default /workspace). */
  readonly cwd?: string;
  /** Variables exported at the start. */
  readonly env?: Readonly<Record<string, string>>;
}

export type EventType = 'alert' | 'action' | 'network' | 'step' | 'sandbox' | 'policy';

/**
 * One event of `GET /v1/events`: `data` is the alert, the action, the network record, the step's
 * start or end, the sandbox's lifecycle, or a command-policy decision (`policy`, under serve --policy). A reader that lagged gets `{type: 'dropped', count}`.
 */
export interface PraetorEvent {
  readonly type: EventType | 'dropped' | (string & {});
  readonly sandbox: string;
  readonly step: number | null;
  readonly episode?: string;
  readonly time: number;
  readonly data: Readonly<Record<string, unknown>>;
  readonly count?: number;
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

export type KeyScope = 'admin' | 'sandboxes' | 'envs' | 'read' | (string & {});

export interface ApiKeyInfo {
  readonly id: string;
  readonly name: string;
  readonly scope: KeyScope;
  readonly quotas?: Readonly<Record<string, number>>;
  readonly [field: string]: unknown;
}

export interface ApiKeyCreated {
  readonly id: string;
  /** The bearer token: shown this once, never stored by the daemon. */
  readonly key: string;
  readonly apiKey?: ApiKeyInfo;
}

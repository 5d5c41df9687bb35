// praetor as a library: `import { Praetor, Guard, LocalBackend } from 'praetor'`. The one list of
// what the package exports (nothing is imported from dist/ paths). The client alone, without the
// library's modules, is `praetor/client`; its types are here with an `Api` prefix where the
// library has a type of the same name.

// The client of praetord.
export {
  Praetor,
  SandboxHandle,
  SessionHandle,
  EnvHandle,
  PraetorApiError,
  resolveTarget,
  parseHost,
  describeTarget,
  DEFAULT_SOCKET,
  type PraetorOptions,
  type CreateSandboxInput,
  type EventsOptions,
  type ExecInput,
  type DaemonTarget,
} from './client/index.js';
export type {
  Alert as ApiAlert,
  ExecResult as ApiExecResult,
  ExecEvent as ApiExecEvent,
  ExecRequest as ApiExecRequest,
  GuardAction as ApiGuardAction,
  GuardMode as ApiGuardMode,
  SandboxCreateOptions as ApiSandboxCreateOptions,
  SandboxRecord as ApiSandboxRecord,
  SandboxState as ApiSandboxState,
  PraetorEvent,
  EventType,
  FileEntry,
  SessionOptions,
  EnvAction,
  EnvInfo,
  EnvReset,
  EnvStep,
  EnvTask,
  KeyScope,
  ApiKeyInfo,
  ApiKeyCreated,
} from './client/types.js';

// Errors every layer throws.
export { PraetorError, errorMessage, type PraetorErrorCode } from './core/errors.js';

// Sandboxes: the contract, its options, the embedded backend.
export {
  SandboxOptionsSchema,
  parseSize,
  type Sandbox,
  type SandboxBackend,
  type SandboxOptions,
  type SandboxOptionsInput,
  type ExecOptions,
  type ExecResult,
  type SandboxInfo,
  type SandboxProcess,
} from './sandbox/backend.js';
export { LocalBackend, type LocalBackendOptions } from './sandbox/local/local-backend.js';
export { openBackend, BACKEND_KINDS, type BackendKind, type OpenBackendOptions } from './sandbox/open-backend.js';
export type { SandboxObserver } from './sandbox/observer.js';

// Detection and the guard.
export { SEVERITIES, type Alert, type Severity } from './detect/alert.js';
export { loadBuiltinRules, loadRuleFiles, loadRules, type LoadResult } from './detect/rule-loader.js';
export { Guard, type GuardOptions } from './guard/guard.js';
export { GuardPolicySchema, type GuardPolicy, type GuardMode, type GuardAction } from './guard/guard-policy.js';

// Agents' tools, episodes, their store and the environment protocol.
export { ToolRegistry, defaultTools } from './agent/tools/tool-registry.js';
export {
  TaskSchema,
  loadTask,
  type Task,
  type TaskInput,
  type ToolCall,
  type EpisodeRecord,
  type StepRecord,
  type Outcome,
} from './episode/episode-model.js';
export { runEpisode, type EpisodeRunOptions } from './episode/episode-runner.js';
export { RolloutEnvironment, SUBMIT, type EnvInfo as EpisodeEnvInfo, type EnvStep as EpisodeEnvStep } from './episode/environment.js';
export type { EpisodeStore, EpisodeStoreOptions } from './episode/store/episode-store.js';
export { openEpisodeStore } from './episode/store/open-store.js';
export { exportEpisodeLines, exportEpisodesJsonl, isGolden } from './episode/export.js';

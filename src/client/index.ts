// The praetord client, as the package exports it.
export { Praetor, resolveTarget, type PraetorOptions, type CreateSandboxInput, type EventsOptions, type RunOptions } from './praetor.js';
export { SandboxHandle, SessionHandle, type ExecInput } from './sandbox-handle.js';
export { EnvHandle } from './env-handle.js';
export { PraetorApiError } from './errors.js';
export { DEFAULT_SOCKET, parseHost, describeTarget, type DaemonTarget } from './target.js';
export { Transport, type TransportOptions, type ServerSentEvent } from './transport.js';
export type * from './types.js';

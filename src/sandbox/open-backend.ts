// The one place a sandbox backend is chosen and opened: the CLI, the benchmarks and the red team
// open theirs here and from then on see only the SandboxBackend contract.
import { PraetorError } from '../core/errors.js';
import type { SandboxBackend } from './backend.js';
import { LocalBackend } from './local/local-backend.js';
import type { UpstreamResolver } from './network/resolver.js';
import type { SandboxObserver } from './observer.js';

export const BACKEND_KINDS = ['local'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

export interface OpenBackendOptions {
  /** Which backend; the embedded local one (bubblewrap on this host) when absent. */
  readonly kind?: BackendKind;
  /** The guard's hooks into every sandbox (a Guard, or a wrapper of one). */
  readonly observer?: SandboxObserver;
  /** Resolves names upstream of every sandbox's proxy; tests and the red team map names to their fakes. */
  readonly resolver?: UpstreamResolver;
  /** Internal CIDRs every sandbox of this backend may reach through its proxy (tests' and the red team's fakes). */
  readonly allowCidrs?: readonly string[];
}

export function openBackend(options: OpenBackendOptions = {}): SandboxBackend {
  const kind: string = options.kind ?? 'local';
  switch (kind) {
    case 'local':
      return new LocalBackend({
        ...(options.observer ? { observer: options.observer } : {}),
        ...(options.resolver ? { resolver: options.resolver } : {}),
        ...(options.allowCidrs ? { allowCidrs: options.allowCidrs } : {}),
      });
    default:
      throw new PraetorError('invalid-config', `unknown sandbox backend "${kind}" (known: ${BACKEND_KINDS.join(', ')})`);
  }
}

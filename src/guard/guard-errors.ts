// The guard's typed errors. Each is a PraetorError, so every entry point maps it by its code.
import { PraetorError } from '../core/errors.js';

/**
 * The guard was handed a sandbox it can not watch (it does not live on this host, so its processes,
 * sockets and files are out of the monitors' reach). Such a sandbox is refused, never run unwatched:
 * the backend destroys it before anything runs in it.
 */
export class SandboxNotWatchableError extends PraetorError {
  constructor(
    readonly sandboxId: string,
    readonly backend: string,
  ) {
    super('policy-denied', `the guard refuses sandbox ${sandboxId}: the ${backend} backend gives it no host view to watch`);
    this.name = 'SandboxNotWatchableError';
  }
}

// A warm pool: sandboxes created ahead of demand with one option set, so acquire() hands one
// out at once and a replacement is built in the background. Works over any backend.
import type { Sandbox, SandboxBackend, SandboxOptionsInput } from './backend.js';
import { errorMessage } from '../core/errors.js';

export interface SandboxPoolOptions {
  /** Idle sandboxes kept ready. */
  readonly size: number;
  /** Options every pooled sandbox is created with. */
  readonly template?: SandboxOptionsInput;
  /** Called when a background refill fails; the pool keeps trying on the next acquire. */
  readonly onError?: (message: string) => void;
  /**
   * While idle sandboxes remain, an acquire's refill starts this long after it instead of at once:
   * a create forks and execs on the caller's thread (bubblewrap, the spawner), which would
   * otherwise land in the middle of the first command of the sandbox just handed out. The acquire
   * that takes the last idle sandbox refills at once. Default 0 (at once).
   */
  readonly refillDelayMs?: number;
}

export class SandboxPool {
  private readonly idle: Sandbox[] = [];
  private filling = 0;
  private closed = false;
  private readonly waiters: (() => void)[] = [];
  private refillTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly backend: SandboxBackend,
    private readonly options: SandboxPoolOptions,
  ) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError('pool size must be a positive integer');
  }

  get available(): number {
    return this.idle.length;
  }

  /** Starts filling; resolves when the pool is full (or a creation failed). */
  async fill(): Promise<void> {
    this.refill();
    while (!this.closed && this.idle.length < this.options.size && this.filling > 0) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** A ready sandbox if one is idle, else a freshly created one; either way the pool refills. */
  async acquire(): Promise<Sandbox> {
    if (this.closed) throw new Error('pool is closed');
    const ready = this.idle.shift();
    const delay = this.options.refillDelayMs ?? 0;
    if (delay > 0 && this.idle.length > 0) this.refillLater(delay);
    else this.refill();
    return ready ?? this.backend.create(this.options.template);
  }

  private refillLater(delay: number): void {
    if (this.refillTimer !== null) return; // one refill tops the pool up for every acquire before it
    this.refillTimer = setTimeout(() => {
      this.refillTimer = null;
      this.refill();
    }, delay);
    this.refillTimer.unref();
  }

  private refill(): void {
    if (this.refillTimer !== null) {
      clearTimeout(this.refillTimer);
      this.refillTimer = null;
    }
    while (!this.closed && this.idle.length + this.filling < this.options.size) {
      this.filling++;
      this.backend
        .create(this.options.template)
        .then(
          async (sandbox) => {
            if (this.closed) await sandbox.destroy();
            else this.idle.push(sandbox);
          },
          (err: unknown) => this.options.onError?.(`pool refill: ${errorMessage(err)}`),
        )
        .finally(() => {
          this.filling--;
          for (const w of this.waiters.splice(0)) w();
        })
        .catch(() => undefined);
    }
  }

  /** Destroys the idle sandboxes; those already handed out belong to their callers. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.refillTimer !== null) clearTimeout(this.refillTimer);
    this.refillTimer = null;
    while (this.filling > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    await Promise.all(this.idle.splice(0).map((s) => s.destroy()));
  }
}

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
}

export class SandboxPool {
  private readonly idle: Sandbox[] = [];
  private filling = 0;
  private closed = false;
  private readonly waiters: (() => void)[] = [];

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
    this.refill();
    return ready ?? this.backend.create(this.options.template);
  }

  private refill(): void {
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
    while (this.filling > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    await Promise.all(this.idle.splice(0).map((s) => s.destroy()));
  }
}

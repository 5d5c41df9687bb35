// How a monitor says that it went blind, and what keeps it running. Every source of guard events
// that can die (the process monitor's helper, the firewall's denial reader) implements
// MonitorSource; a MonitorSupervisor restarts it and reports each outage, so the guard can fail
// closed. It lives in the sandbox layer, the lowest, because some monitors belong to the sandbox
// backend itself (the denial reader); those reach the guard through SandboxObserver.monitorDown.

export interface MonitorFailure {
  /** Which monitor: 'process-monitor', 'denial-reader', ... */
  readonly monitor: string;
  /** Why it stopped seeing, in words ("praetor-procmon exited (SIGKILL)"). */
  readonly reason: string;
  /** Epoch ms. */
  readonly time: number;
  /** The sandboxes that lost their watch; null: every sandbox on this host. */
  readonly sandboxIds: readonly string[] | null;
}

export type MonitorFailureListener = (failure: MonitorFailure) => void;

export interface MonitorSource {
  readonly name: string;
  /** Resolves once the monitor sees; rejects when it can not. Called again to restart it after a failure. */
  start(): Promise<void>;
  /** Stops it on purpose: no failure is reported for that. */
  stop(): void;
  /**
   * Reports each time the monitor stops seeing while it should run (its helper died, its stream
   * ended): once per outage, never for stop().
   */
  onFailure(listener: MonitorFailureListener): () => void;
}

/** A small fan-out for sources to implement onFailure with. */
export class FailureListeners {
  private readonly listeners = new Set<MonitorFailureListener>();

  add(listener: MonitorFailureListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(failure: MonitorFailure): void {
    for (const l of this.listeners) {
      try {
        l(failure);
      } catch {
        // one listener must not keep the failure from the others
      }
    }
  }
}

export interface SupervisorHooks {
  /** The monitor went blind: once per outage, before any restart is tried. */
  onDown(failure: MonitorFailure): void;
  /** It sees again after an outage. */
  onUp(monitor: string): void;
  /** A restart failed; the next one follows after a longer pause. */
  onRetryFailed?(monitor: string, error: unknown, attempt: number): void;
}

export interface SupervisorOptions {
  /** Pause before the first restart; doubled after each failed one, up to maxBackoffMs. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** Keeps one monitor running: reports its outages and restarts it until it sees again or is stopped. */
export class MonitorSupervisor {
  private stopped = false;
  private outage: MonitorFailure | null = null;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    readonly source: MonitorSource,
    private readonly hooks: SupervisorHooks,
    private readonly options: SupervisorOptions = {},
  ) {}

  /** First start: a monitor that can not start at all is an error for the caller, not an outage. */
  async start(): Promise<void> {
    this.stopped = false;
    this.unsubscribe ??= this.source.onFailure((f) => this.failed(f));
    await this.source.start();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.source.stop();
  }

  /** The outage under way, or null while the monitor sees. */
  get down(): MonitorFailure | null {
    return this.outage;
  }

  private failed(failure: MonitorFailure): void {
    if (this.stopped || this.outage !== null) return;
    this.outage = failure;
    try {
      this.hooks.onDown(failure);
    } finally {
      this.schedule(1);
    }
  }

  private schedule(attempt: number): void {
    const min = this.options.minBackoffMs ?? 20;
    const max = this.options.maxBackoffMs ?? 2000;
    const pause = Math.min(max, min * 2 ** (attempt - 1));
    this.timer = setTimeout(() => void this.restart(attempt), pause);
    // The outage holds sandboxes, not praetor: a run that ends meanwhile may exit.
    this.timer.unref();
  }

  private async restart(attempt: number): Promise<void> {
    this.timer = null;
    if (this.stopped) return;
    try {
      await this.source.start();
    } catch (err) {
      if (this.stopped) return;
      this.hooks.onRetryFailed?.(this.source.name, err, attempt);
      this.schedule(attempt + 1);
      return;
    }
    if (this.stopped) return;
    this.outage = null;
    this.hooks.onUp(this.source.name);
  }
}

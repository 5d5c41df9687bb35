// What each key holds right now (sandboxes, CPUs, memory), checked and taken in one synchronous
// call so that concurrent creates can not both pass a check that only one of them fits.
import { ApiError } from './api-error.js';
import type { Principal } from './auth.js';

export interface Cost {
  readonly cpus: number;
  readonly memoryBytes: number;
}

interface Usage {
  sandboxes: number;
  cpus: number;
  memoryBytes: number;
}

export class QuotaLedger {
  private readonly usage = new Map<string, Usage>();

  /** Takes `cost` for the key, or answers 429 naming the quota it would pass. Returns the release. */
  take(who: Principal, cost: Cost): () => void {
    const u = this.usage.get(who.keyId) ?? { sandboxes: 0, cpus: 0, memoryBytes: 0 };
    const q = who.quotas;
    const over =
      q.maxSandboxes !== undefined && u.sandboxes + 1 > q.maxSandboxes
        ? `live sandboxes (${q.maxSandboxes})`
        : q.maxCpus !== undefined && u.cpus + cost.cpus > q.maxCpus
          ? `CPUs (${q.maxCpus}; ${u.cpus} in use, ${cost.cpus} asked)`
          : q.maxMemoryBytes !== undefined && u.memoryBytes + cost.memoryBytes > q.maxMemoryBytes
            ? `memory (${q.maxMemoryBytes} bytes; ${u.memoryBytes} in use, ${cost.memoryBytes} asked)`
            : null;
    if (over !== null) throw new ApiError(429, 'quota-exceeded', `over the key's quota of ${over}`);
    u.sandboxes++;
    u.cpus += cost.cpus;
    u.memoryBytes += cost.memoryBytes;
    this.usage.set(who.keyId, u);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      u.sandboxes--;
      u.cpus -= cost.cpus;
      u.memoryBytes -= cost.memoryBytes;
      if (u.sandboxes === 0) this.usage.delete(who.keyId);
    };
  }

  of(keyId: string): Readonly<Usage> {
    return this.usage.get(keyId) ?? { sandboxes: 0, cpus: 0, memoryBytes: 0 };
  }
}

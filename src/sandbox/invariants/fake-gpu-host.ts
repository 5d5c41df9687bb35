// A host with two GPUs for the root invariants: the recorded two-GPU nvidia-smi inventory and a
// directory of device nodes made with mknod (major 195, as NVIDIA's driver has; this host has no
// GPU, and the binding is the same for fake and real nodes). Each backend keeps its own GPU claims:
// the GPU tests replay the same recorded uuids, possibly at the same time.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { newBackend } from './harness.js';
import { NvidiaSmiInventory } from '../gpu/gpu-inventory.js';
import { TWO_GPUS } from '../gpu/fixtures/inventory-fixtures.js';
import { MemoryGpuClaims } from '../gpu/gpu-claims.js';
import type { LocalBackend } from '../local/local-backend.js';
import type { SandboxObserver } from '../observer.js';

export interface FakeGpuHost {
  readonly backend: LocalBackend;
  readonly devRoot: string;
  /** Makes the nodes nvidia0, nvidia1 and nvidiactl (call in `before`). */
  makeNodes(): void;
  /** Closes the backend and removes the nodes (call in `after`). */
  close(): Promise<void>;
}

export function fakeGpuHost(observer: SandboxObserver): FakeGpuHost {
  const devRoot = mkdtempSync(`${tmpdir()}/praetor-fake-dev-`);
  const backend = newBackend({
    gpuInventory: new NvidiaSmiInventory({ exec: () => Promise.resolve(TWO_GPUS), procRoot: '/nonexistent' }),
    gpuClaims: new MemoryGpuClaims(),
    devRoot,
    observer,
  });
  return {
    backend,
    devRoot,
    makeNodes: () => {
      // bubblewrap runs as the sandbox's uid, which must reach the nodes to bind them (as it does /dev)
      chmodSync(devRoot, 0o755);
      for (const [name, minor] of [['nvidia0', 0], ['nvidia1', 1], ['nvidiactl', 255]] as const) {
        execFileSync('mknod', ['-m', '666', `${devRoot}/${name}`, 'c', '195', String(minor)]);
      }
    },
    close: async () => {
      await backend.close();
      rmSync(devRoot, { recursive: true, force: true });
    },
  };
}

// Pure: the device nodes a GPU grant binds into a sandbox, and the environment that names them.
// Only the granted GPUs' /dev/nvidiaN, the control and UVM nodes CUDA needs, and for MIG the
// capability nodes; every other GPU of the host is absent from the sandbox's /dev.
import { PraetorError } from '../../core/errors.js';
import type { GpuGrant } from './gpu-allocator.js';

export interface DeviceBind {
  /** The node on the host (under the dev root: /dev, or a test's directory of fake nodes). */
  readonly host: string;
  /** Where it appears inside the sandbox. */
  readonly inSandbox: string;
}

/** Control nodes every CUDA process opens; the UVM ones are created only once nvidia-uvm is loaded. */
const REQUIRED_CONTROL = ['nvidiactl'];
const OPTIONAL_CONTROL = ['nvidia-uvm', 'nvidia-uvm-tools'];

/**
 * `hostNames`: the names under the dev root; `capsNames`: those under its nvidia-caps/ (MIG).
 * A granted GPU whose node is missing is an error: the grant could not be honoured.
 */
export function grantDeviceBinds(grant: GpuGrant, devRoot: string, hostNames: readonly string[], capsNames: readonly string[]): DeviceBind[] {
  const names = new Set(hostNames);
  const wanted: string[] = [];
  for (const minor of [...new Set(grant.units.map((u) => u.minor))].sort((a, b) => a - b)) wanted.push(`nvidia${minor}`);
  const missing = [...wanted, ...REQUIRED_CONTROL].filter((n) => !names.has(n));
  if (missing.length > 0) {
    throw new PraetorError('host-unsupported', `the GPU grant can not be honoured: ${missing.map((n) => `/dev/${n}`).join(', ')} missing on this host`);
  }
  wanted.push(...REQUIRED_CONTROL, ...OPTIONAL_CONTROL.filter((n) => names.has(n)));
  // MIG instances are reached through capability nodes; all of them are bound (see docs/gpu.md:
  // which instance a process may use is then up to CUDA_VISIBLE_DEVICES, not to the nodes).
  if (grant.units.some((u) => u.mig !== null)) for (const c of [...capsNames].sort()) wanted.push(`nvidia-caps/${c}`);
  return wanted.map((n) => ({ host: `${devRoot}/${n}`, inSandbox: `/dev/${n}` }));
}

/** CUDA and NVIDIA's container tools both read these; uuids, so the numbering inside can not mislead. */
export function grantEnv(grant: GpuGrant): Record<string, string> {
  const list = grant.units.map((u) => u.uuid).join(',');
  return { CUDA_VISIBLE_DEVICES: list, NVIDIA_VISIBLE_DEVICES: list, CUDA_DEVICE_ORDER: 'PCI_BUS_ID' };
}

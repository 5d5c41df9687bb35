// The capabilities the local backend uses, checked once before anything is built: a host (or a
// container) that withholds one gets a one-line refusal naming it, instead of a sandbox that half
// builds and then can not be torn down (without CAP_KILL the sandbox's init, which runs as the
// sandbox's uid, can not be killed). Why each is needed: docs/deploy.md.
import { readFileSync } from 'node:fs';
import { PraetorError } from '../../core/errors.js';

/** Bit numbers from linux/capability.h. */
export const REQUIRED_CAPABILITIES: Readonly<Record<string, number>> = {
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_FOWNER: 3,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_NET_ADMIN: 12,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_ADMIN: 21,
};

/** The effective set of a /proc/PID/status text, or null when it has none. */
export function effectiveCapabilities(status: string): bigint | null {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  return m ? BigInt(`0x${m[1]}`) : null;
}

/** Required capabilities missing from `effective`, by name. */
export function missingCapabilities(effective: bigint): string[] {
  return Object.entries(REQUIRED_CAPABILITIES)
    .filter(([, bit]) => (effective & (1n << BigInt(bit))) === 0n)
    .map(([name]) => name);
}

/** Throws `host-unsupported` naming every required capability this process lacks. */
export function requireCapabilities(status: string = readFileSync('/proc/self/status', 'utf8')): void {
  const effective = effectiveCapabilities(status);
  if (effective === null) throw new PraetorError('host-unsupported', 'the local backend can not read its capabilities (/proc/self/status has no CapEff)');
  const missing = missingCapabilities(effective);
  if (missing.length > 0) {
    throw new PraetorError('host-unsupported', `the local backend needs ${missing.join(', ')}, which this process lacks (docs/deploy.md says why each is needed)`);
  }
}

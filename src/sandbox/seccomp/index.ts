// Public surface of the seccomp filter builder: policies in, raw sock_filter bytes out.

export {
  buildSeccompProgram,
  describeAction,
  interpretSeccompProgram,
  SECCOMP_RET,
  type SeccompData,
  type SeccompPolicy,
} from './bpf-program.js';
export { DEFAULT_DENIED_SYSCALLS, hostSeccompArch } from './default-policy.js';
export { AUDIT_ARCH, SYSCALL_NUMBERS, syscallNumber, type SeccompArch } from './syscall-table.js';

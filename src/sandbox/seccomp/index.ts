// Public surface of the seccomp filter builder: policies in, raw sock_filter bytes out.

export {
  buildSeccompProgram,
  describeAction,
  interpretSeccompProgram,
  SECCOMP_RET,
  type ArgumentRule,
  type ArgumentTest,
  type SeccompData,
  type SeccompPolicy,
} from './bpf-program.js';
export { ALLOWED_PERSONALITIES, DEFAULT_ARGUMENT_RULES, DEFAULT_DENIED_SYSCALLS, hostSeccompArch } from './default-policy.js';
export { AUDIT_ARCH, SYSCALL_NUMBERS, syscallNumber, type SeccompArch } from './syscall-table.js';

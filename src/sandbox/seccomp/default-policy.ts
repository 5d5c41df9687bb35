// The syscalls every sandbox refuses by default: none is needed to edit, build or test code, and each
// either reshapes the sandbox itself, reaches past it into the host, or widens the kernel's attack surface.

import type { ArgumentRule } from './bpf-program.js';
import type { SeccompArch } from './syscall-table.js';

export const DEFAULT_DENIED_SYSCALLS: readonly string[] = Object.freeze([
  // Mounts and root changes would let a process undo bubblewrap's view of the filesystem.
  'mount',
  'umount2',
  'pivot_root',
  'chroot',
  // The new mount API does the same through file descriptors; open_tree_attr is open_tree plus mount_setattr.
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'move_mount',
  'open_tree',
  'open_tree_attr',
  'mount_setattr',
  // New or joined namespaces (a user namespace above all) hand out capabilities and reach most kernel bugs.
  // clone is filtered by its flags and clone3 made to fall back to clone; see bpf-program.ts.
  'unshare',
  'setns',
  // Reading or steering another process would cross from one exec step into another, or into the supervisor.
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'pidfd_getfd', // takes another process's file descriptors, as ptrace would
  // eBPF and perf events are large kernel attack surfaces and can observe the whole host.
  'bpf',
  'perf_event_open',
  // io_uring performs I/O inside the kernel, where this filter never sees the syscalls it stands for.
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  // userfaultfd stalls kernel page faults at will, the classic way to widen a kernel race window.
  'userfaultfd',
  // Loading code into the kernel or replacing it.
  'kexec_load',
  'kexec_file_load',
  'init_module',
  'finit_module',
  'delete_module',
  'create_module',
  // Kernel keyrings are not namespaced: keys would leak between the sandbox and the host.
  'keyctl',
  'add_key',
  'request_key',
  // Host-wide machine state: swap, power, process accounting, the clock, the kernel log, quotas.
  'swapon',
  'swapoff',
  'reboot',
  'acct',
  'settimeofday',
  'clock_settime',
  'clock_adjtime',
  'adjtimex',
  'syslog',
  'quotactl',
  'quotactl_fd',
  // File handles open files by inode number, skipping the path checks that bind mounts rely on.
  'open_by_handle_at',
  'name_to_handle_at',
  // Raw I/O port access, terminal hangup, and long-dead interfaces that only old exploits still call.
  'iopl',
  'ioperm',
  'uselib',
  '_sysctl',
  'vhangup',
  'lookup_dcookie',
  'nfsservctl',
  // x86 segment descriptors of one's own: only 16-bit and Wine-style code needs them, and the LDT
  // has been the way into several kernel bugs (it is also off in many distribution kernels).
  'modify_ldt',
]);

/** personality(2) values a sandbox may set: those Docker's default profile allows. */
export const ALLOWED_PERSONALITIES: readonly number[] = Object.freeze([
  0x0, // PER_LINUX
  0x8, // PER_LINUX32 (linux32, setarch i686)
  0x20000, // UNAME26
  0x20008, // PER_LINUX32 | UNAME26
  0xffffffff, // the query: reads the personality, sets nothing
]);

const AF_NETLINK = 16;
const AF_VSOCK = 40;
const NETLINK_ROUTE = 0;

/**
 * Calls refused only for some arguments. personality: the other flags switch off address-space
 * randomisation (ADDR_NO_RANDOMIZE), map page zero (MMAP_PAGE_ZERO) or make data executable
 * (READ_IMPLIES_EXEC), help only an exploit; the debuggers that set them need ptrace, denied above.
 * socket: AF_VSOCK talks to the hypervisor or its guests, past the network namespace and the egress
 * proxy. Netlink is allowed for NETLINK_ROUTE only: getifaddrs (node's os.networkInterfaces, python's
 * if_nameindex), glibc's getaddrinfo with AI_ADDRCONFIG and `ip addr` read the sandbox's own network
 * namespace through it, and changing anything there needs CAP_NET_ADMIN over a namespace that
 * belongs to the host, which a sandbox never has. Every other family (sock_diag, audit, uevents,
 * netfilter, generic netlink and its families, connector, xfrm) is kernel surface no build or test
 * needs; `ss` falls back to /proc/net without sock_diag.
 */
export const DEFAULT_ARGUMENT_RULES: readonly ArgumentRule[] = Object.freeze([
  { syscall: 'personality', denyWhen: [[{ arg: 0, noneOf: ALLOWED_PERSONALITIES }]] },
  {
    syscall: 'socket',
    denyWhen: [
      [{ arg: 0, oneOf: [AF_VSOCK] }],
      [{ arg: 0, oneOf: [AF_NETLINK] }, { arg: 2, noneOf: [NETLINK_ROUTE] }],
    ],
  },
]);

/** The seccomp arch of a Node platform arch (`process.arch` by default). */
export function hostSeccompArch(arch: string = process.arch): SeccompArch {
  switch (arch) {
    case 'x64':
      return 'x86_64';
    case 'arm64':
      return 'aarch64';
    default:
      throw new Error(`seccomp filtering supports x64 and arm64 hosts only, not '${arch}'`);
  }
}

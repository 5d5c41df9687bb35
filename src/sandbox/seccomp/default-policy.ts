// The syscalls every sandbox refuses by default: none is needed to edit, build or test code, and each
// either reshapes the sandbox itself, reaches past it into the host, or widens the kernel's attack surface.

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
  // personality stays allowed: build tools use it (e.g. setarch, ADDR_NO_RANDOMIZE for reproducible runs).
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

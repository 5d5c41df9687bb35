// Pure builder of the bubblewrap command line that starts a sandbox's init. Every later exec
// joins the namespaces this init holds (see native/praetor-spawn.c), so this argv defines the
// sandbox's whole view of the host: what is visible, what is writable, which devices exist.

import type { DeviceBind } from '../gpu/gpu-devices.js';

export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 1000;
export const HELPER_IN_SANDBOX = '/.praetor/spawn';

export interface InitArgvInput {
  /** Host directory bound read-write at /workspace. */
  readonly workspaceDir: string;
  /** Host directory bound read-write at /tmp (shared by every exec of the sandbox). */
  readonly tmpDir: string;
  /** The praetor-spawn binary, bound read-only so it can run as the sandbox's PID 1. */
  readonly helperPath: string;
  /** Host paths bound read-only at the same place (the read-only base). */
  readonly readOnlyPaths: readonly string[];
  /** Device nodes to expose (a GPU grant); nothing else beyond bubblewrap's minimal /dev. */
  readonly devices: readonly DeviceBind[];
  readonly hostname: string;
  /** File descriptor the seccomp program is read from, as bubblewrap's --seccomp wants. */
  readonly seccompFd: number | null;
  readonly infoFd: number;
}

/** The default read-only base: the host's system directories, never its home or state. */
export const DEFAULT_READ_ONLY_BASE: readonly string[] = ['/usr', '/etc', '/opt'];
const MERGED_USR_LINKS: readonly [string, string][] = [
  ['usr/bin', '/bin'],
  ['usr/sbin', '/sbin'],
  ['usr/lib', '/lib'],
  ['usr/lib64', '/lib64'],
];

export function buildInitArgv(input: InitArgvInput): string[] {
  const argv = [
    'bwrap',
    '--unshare-user',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--uid',
    String(SANDBOX_UID),
    '--gid',
    String(SANDBOX_GID),
    '--hostname',
    input.hostname,
    '--cap-drop',
    'ALL',
    '--die-with-parent',
    // No controlling terminal of the host inside (each exec also starts a session of its own).
    '--new-session',
    '--as-pid-1',
    '--info-fd',
    String(input.infoFd),
  ];
  for (const p of input.readOnlyPaths) argv.push('--ro-bind-try', p, p);
  for (const [target, link] of MERGED_USR_LINKS) argv.push('--symlink', target, link);
  argv.push('--proc', '/proc', '--dev', '/dev');
  // nvidia-caps/ (MIG) is a directory bubblewrap's /dev lacks; --dev-bind makes the parents.
  for (const d of input.devices) argv.push('--dev-bind', d.host, d.inSandbox);
  argv.push('--bind', input.workspaceDir, '/workspace', '--bind', input.tmpDir, '/tmp');
  argv.push('--dir', '/home', '--ro-bind', input.helperPath, HELPER_IN_SANDBOX);
  argv.push('--remount-ro', '/', '--chdir', '/workspace');
  if (input.seccompFd !== null) argv.push('--seccomp', String(input.seccompFd));
  argv.push('--', HELPER_IN_SANDBOX, 'pid1');
  return argv;
}

/** The environment every exec starts from: nothing of the host's, the proxy for everything. */
export function sandboxEnv(proxyUrl: string, user: Readonly<Record<string, string>>): Record<string, string> {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/tmp/home',
    USER: 'agent',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    HTTP_PROXY: proxyUrl,
    HTTPS_PROXY: proxyUrl,
    ALL_PROXY: proxyUrl,
    http_proxy: proxyUrl,
    https_proxy: proxyUrl,
    all_proxy: proxyUrl,
    NO_PROXY: 'localhost,127.0.0.1,::1',
    no_proxy: 'localhost,127.0.0.1,::1',
    ...user,
  };
}

import type { ProxyMethod } from '../sandbox/network/network-events.js';

// The guard's typed event model: everything the monitors see inside sandboxes, each event tied
// to its sandbox and, when known, to the step (exec) whose cgroup the process belongs to.

interface EventBase {
  /** Epoch milliseconds when the monitor saw it. */
  readonly time: number;
  readonly sandboxId: string;
  /** Step (exec) the process belongs to; null for the sandbox's init or when unknown. */
  readonly step: number | null;
}

/** A step (one exec) began or ended. */
export interface StepEvent extends EventBase {
  readonly kind: 'step-start' | 'step-end';
  readonly argv: readonly string[];
  readonly exitCode: number | null;
}

/** A process exec'd inside a sandbox (seen by the kernel's process events connector). */
export interface ProcessStartEvent extends EventBase {
  readonly kind: 'process-start';
  readonly pid: number;
  readonly ppid: number | null;
  readonly uid: number | null;
  /** Path of the executable as the sandbox sees it (renamed binaries show their new name). */
  readonly exe: string | null;
  /** Real argv of the process, read from /proc; null when it exited before it could be read. */
  readonly argv: readonly string[] | null;
  readonly cwd: string | null;
  /** fd 0, 1 and 2 as the process monitor read them at exec (a reverse shell's socket shows here). */
  readonly stdio?: readonly FdKind[];
}

export interface ProcessExitEvent extends EventBase {
  readonly kind: 'process-exit';
  readonly pid: number;
  readonly exitCode: number | null;
  readonly signal: number | null;
}

/** CPU, memory and task use of a sandbox or one of its steps over the last interval. */
export interface ResourceSample extends EventBase {
  readonly kind: 'resource-sample';
  readonly scope: 'sandbox' | 'step';
  /** Cumulative CPU seconds. */
  readonly cpuSeconds: number;
  /** CPU used over the interval, in cores (1.0 = one core busy). */
  readonly cpuCores: number;
  readonly intervalMs: number;
  readonly memoryBytes: number;
  readonly pids: number;
  /** For a step: whether its exec is still running (processes that outlive it are suspect). */
  readonly stepRunning: boolean | null;
}

/** GPU use by one process over one sampler interval (1 s), from NVIDIA's tools where present. */
export interface GpuSample extends EventBase {
  readonly kind: 'gpu-sample';
  readonly pid: number;
  readonly gpuIndex: number;
  readonly gpuUuid: string | null;
  /** The process's share of the GPU's SMs over the interval (pmon's sm %); null where not reported (MIG). */
  readonly utilizationPercent: number | null;
  readonly memoryBytes: number | null;
  readonly intervalMs: number;
  /** The whole GPU over the same interval (dmon): power, SM use, host transfers. */
  readonly gpuPowerWatts: number | null;
  readonly gpuUtilizationPercent: number | null;
  readonly pcieMBps: number | null;
  /** What the last half minute of this process on this GPU looks like (monitor/resource/gpu-profile.ts). */
  readonly profile: 'hashing' | 'training' | 'inference' | 'idle' | 'unknown';
  /** Whether this GPU is granted to the sandbox (set by the guard). */
  readonly granted: boolean;
  /** Whether the process's step is still running; null for a process of no step (set by the guard). */
  readonly stepRunning: boolean | null;
  /** Mining signals seen from this process or its step (rule ids with what matched); null: none. */
  readonly minerEvidence: string | null;
}

/** A connection attempt the network cell's firewall refused. */
export interface NetworkDeniedEvent extends EventBase {
  readonly kind: 'network-denied';
  readonly protocol: 'tcp' | 'udp' | 'icmp' | 'other';
  readonly dstAddress: string;
  readonly dstPort: number | null;
}

/**
 * Denied attempts the kernel dropped before the guard could read them (a flood overflowed the
 * cell's queue): the network record of the sandbox is incomplete by `dropped` denials.
 */
export interface NetworkDroppedEvent extends EventBase {
  readonly kind: 'network-dropped';
  /** Exact count since the last such event; null when not known (the denial reader died). */
  readonly dropped: number | null;
}

export type WireProtocol = 'tls' | 'http' | 'ssh' | 'stratum' | 'unknown';

/** A request or tunnel through the egress proxy, with the protocol spoken on it. */
export interface ProxyConnectionEvent extends EventBase {
  readonly kind: 'proxy-connection';
  readonly pid: number | null;
  /** CONNECT (HTTP or SOCKS5), HTTP (absolute-form), or a refused SOCKS5 BIND / UDP-ASSOCIATE. */
  readonly method: ProxyMethod;
  /** '' with port 0 for a malformed request that named no readable target. */
  readonly host: string;
  readonly port: number;
  readonly decision: 'allowed' | 'denied';
  /** The rule, `internal-address: ...`, `malformed request: ...`, or the error behind a denial. */
  readonly reason: string;
  /** The address the name resolved to (connected to, or refused); null when it was not resolved. */
  readonly resolvedAddress: string | null;
  /** loopback, private, metadata, host, praetor-cell, ... when resolvedAddress is internal; null when public. */
  readonly addressClass: string | null;
  /**
   * In a tunnel: the host the client named inside it (TLS SNI, HTTP Host) when it is not the tunnel's
   * target, the mark of domain fronting; null when they agree or nothing was named.
   */
  readonly frontedHost: string | null;
  /** Protocol recognised in the first bytes of the stream (client side first). */
  readonly protocol: WireProtocol;
  /** What identified it: the TLS SNI, the HTTP Host, the SSH banner, the Stratum method. */
  readonly protocolDetail: string | null;
  readonly bytesOut: number;
  readonly bytesIn: number;
}

/** A write to a path agents rarely have reason to touch (persistence, credentials). */
export interface FileWriteEvent extends EventBase {
  readonly kind: 'file-write';
  /** Path as the sandbox sees it. */
  readonly path: string;
}

/** A monitor that watched this sandbox died or stopped seeing: the guard is blind until it is back. */
export interface MonitorDownEvent extends EventBase {
  readonly kind: 'monitor-down';
  /** Which monitor: 'process-monitor', 'denial-reader', ... */
  readonly monitor: string;
  readonly reason: string;
}

/** The command policy refused a command, file, connection or process, or asked about it. */
export interface PolicyVerdictEvent extends EventBase {
  readonly kind: 'policy-verdict';
  /** exec, write-file, read-file, network or process. */
  readonly source: string;
  readonly target: string;
  readonly decision: 'deny' | 'ask';
  readonly final: 'allow' | 'deny';
  /** The policy rule that decided; null for the default. */
  readonly policyRule: string | null;
  readonly technique: string | null;
  readonly pid: number | null;
}

/** What a file descriptor is, as /proc/PID/fd and the netns's /proc/net tables tell. */
export type FdKind = 'tcp' | 'udp' | 'unix' | 'pipe' | 'tty' | 'file' | 'other' | 'none';

/**
 * The sockets of a process, read when it matters (the exec of a shell or interpreter, a denied
 * connection, a new listening socket): whether its standard streams are network sockets, whether
 * it listens, whether its parent relays a network socket to it.
 */
export interface ProcessSocketsEvent extends EventBase {
  readonly kind: 'process-sockets';
  /** exec: at its exec; denied: it made a connection the firewall refused; proxy-denied: one the proxy refused; listen: it listens. */
  readonly via: 'exec' | 'denied' | 'proxy-denied' | 'listen';
  readonly pid: number;
  readonly ppid: number | null;
  readonly exe: string | null;
  readonly argv: readonly string[] | null;
  /** fd 0, 1 and 2. */
  readonly stdio: readonly FdKind[];
  /** Network (tcp, udp) sockets it holds on any fd. */
  readonly netSockets: number;
  /** Ports it listens on (tcp LISTEN, bound udp). */
  readonly listenPorts: readonly number[];
  /** Remote address:port of its first connected network socket, or of the refused attempt. */
  readonly remote: string | null;
  /** The parent's executable and the network sockets it holds (a relay: socat, a script piping a socket to a shell). */
  readonly parentExe: string | null;
  readonly parentNetSockets: number;
  /**
   * For a refused connection: the command lines of the process's ancestors in the same step, nearest
   * first, joined by newlines (the step's shell that wrote the script the interpreter runs); null otherwise.
   */
  readonly ancestorsText: string | null;
}

/**
 * How a step used the CPU over its whole life, read from its cgroup leaf when its exec returns
 * (so also in one-shot runs, where the sandbox is destroyed right after): pure computation that
 * kept a core busy the whole time, with no programs started and no memory built up, is what a
 * miner without a name looks like.
 */
export interface StepUsageEvent extends EventBase {
  readonly kind: 'step-usage';
  readonly wallMs: number;
  readonly cpuSeconds: number;
  /** cpuSeconds / wall time (1.0 = one core busy all the time). */
  readonly cores: number;
  /** (cpuSeconds + time its processes waited for a CPU) / wall time: what it wanted, whatever the host's load. */
  readonly demandCores: number;
  /** Share of the CPU time spent in user space (pure computation is near 1; builds, tests and I/O spend more in the kernel). */
  readonly userShare: number;
  /** Programs exec'd in the step. */
  readonly execs: number;
  /**
   * Bytes its processes read and wrote (rchar + wchar, files, pipes and sockets alike) per CPU-second,
   * as last read while the step was busy: a compressor or a test run moves megabytes, a hash loop none.
   */
  readonly ioPerCpuSecond: number;
  /** Memory peak of the step's leaf in bytes; null where the kernel does not keep one. */
  readonly peakMemoryBytes: number | null;
}

/** A file praetor watches (bait credentials, the sandbox's real credentials) was opened. */
export interface FileOpenEvent extends EventBase {
  readonly kind: 'file-open';
  readonly pid: number | null;
  /** Path as the sandbox sees it. */
  readonly path: string;
  /** bait: planted by praetor, no honest task reads it; credential: a real credential path. */
  readonly watch: 'bait' | 'credential';
  /** What the file is: aws, ssh-key, gcloud, netrc, token, ... */
  readonly label: string;
  readonly exe: string | null;
  readonly argv: readonly string[] | null;
}

export type GuardEvent =
  | StepEvent
  | ProcessStartEvent
  | ProcessExitEvent
  | ResourceSample
  | GpuSample
  | NetworkDeniedEvent
  | NetworkDroppedEvent
  | ProxyConnectionEvent
  | FileWriteEvent
  | MonitorDownEvent
  | PolicyVerdictEvent
  | ProcessSocketsEvent
  | FileOpenEvent
  | StepUsageEvent;

export type GuardEventKind = GuardEvent['kind'];

// Records of network activity that leave a sandbox's network cell: kernel-level denials (and
// how many of them the kernel dropped before praetor read them) and proxy decisions.

/** A connection attempt the cell's firewall refused (any protocol, any process). */
export interface DeniedAttempt {
  readonly kind: 'denied-attempt';
  readonly sandboxId: string;
  /** Step (exec) whose process made the attempt, when the kernel could tell; null otherwise. */
  readonly step: number | null;
  readonly time: number; // epoch ms
  readonly protocol: 'tcp' | 'udp' | 'icmp' | 'other';
  readonly srcAddress: string;
  readonly srcPort: number | null;
  readonly dstAddress: string;
  readonly dstPort: number | null;
}

/**
 * Denials of the cell's firewall that the kernel dropped before praetor could read them: its
 * queue for the cell was full (a flood of denied packets). The count is exact; which
 * destinations and steps they were is lost.
 */
export interface DenialsDropped {
  readonly kind: 'denials-dropped';
  readonly sandboxId: string;
  readonly time: number; // epoch ms, when the loss was counted
  /** How many denials went unrecorded since the last count; null when not known (the reader died). */
  readonly dropped: number | null;
}

/**
 * What a client asked the proxy for: an HTTP CONNECT or SOCKS5 CONNECT tunnel, an absolute-form
 * HTTP request, or a SOCKS5 BIND or UDP ASSOCIATE (always refused, recorded all the same).
 */
export type ProxyMethod = 'CONNECT' | 'HTTP' | 'BIND' | 'UDP-ASSOCIATE';

/** One decision of the egress proxy on one request or tunnel (a malformed one included). */
export interface ProxyDecision {
  readonly kind: 'proxy-decision';
  readonly sandboxId: string;
  /** The proxy's id of the stream, shared with its first-bytes inspection. */
  readonly connectionId: number;
  /** Source port of the sandbox-side connection, which identifies the process that opened it. */
  readonly clientPort: number | null;
  readonly time: number; // epoch ms, when the decision was taken
  readonly method: ProxyMethod;
  /** The target asked for; '' and 0 when a malformed request named none that could be read. */
  readonly host: string;
  readonly port: number;
  readonly decision: 'allowed' | 'denied';
  /**
   * Why: the rule that matched, the error that made the filter deny, `malformed request: ...`, or
   * `internal-address: ...` when the name led to an address the sandbox may not reach.
   */
  readonly reason: string;
  /** Bytes from the sandbox to upstream, and back, once the stream closed. */
  readonly bytesOut: number;
  readonly bytesIn: number;
  /** Address the name resolved to, when the request was allowed and resolved. */
  readonly resolvedAddress: string | null;
  /**
   * What kind of internal address resolvedAddress is (loopback, private, metadata, host, ...; see
   * address-policy.ts), null for a public one or none: set on a refusal, and on a connection an
   * allowCidrs entry let through.
   */
  readonly addressClass: string | null;
  readonly error: string | null;
}

export type NetworkEvent = DeniedAttempt | DenialsDropped | ProxyDecision;

// Records of network activity that leave a sandbox's network cell: kernel-level denials and proxy decisions.

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

/** One decision of the egress proxy on one request or tunnel. */
export interface ProxyDecision {
  readonly kind: 'proxy-decision';
  readonly sandboxId: string;
  /** The proxy's id of the stream, shared with its first-bytes inspection. */
  readonly connectionId: number;
  /** Source port of the sandbox-side connection, which identifies the process that opened it. */
  readonly clientPort: number | null;
  readonly time: number; // epoch ms, when the decision was taken
  readonly method: 'CONNECT' | 'HTTP';
  readonly host: string;
  readonly port: number;
  readonly decision: 'allowed' | 'denied';
  /** Why: the rule that matched, or the error that made the filter deny. */
  readonly reason: string;
  /** Bytes from the sandbox to upstream, and back, once the stream closed. */
  readonly bytesOut: number;
  readonly bytesIn: number;
  /** Address the name resolved to, when the request was allowed and resolved. */
  readonly resolvedAddress: string | null;
  readonly error: string | null;
}

export type NetworkEvent = DeniedAttempt | ProxyDecision;

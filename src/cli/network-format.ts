// How network records are shown: JSON rows for `--json`, one line each for people.
import type { NetworkEvent } from '../sandbox/network/network-events.js';

function networkRow(e: NetworkEvent): Record<string, unknown> {
  const time = new Date(e.time).toISOString();
  switch (e.kind) {
    case 'denied-attempt':
      return { time, source: 'firewall', decision: 'denied', protocol: e.protocol, address: e.dstAddress, port: e.dstPort, step: e.step };
    case 'denials-dropped':
      return { time, source: 'firewall', decision: 'denied', dropped: e.dropped };
    case 'proxy-decision':
      return {
        time,
        source: 'proxy',
        decision: e.decision,
        protocol: 'tcp',
        method: e.method,
        host: e.host,
        address: e.resolvedAddress,
        port: e.port,
        reason: e.reason,
        bytesOut: e.bytesOut,
        bytesIn: e.bytesIn,
        error: e.error,
      };
  }
}

/**
 * The network record as `--json` prints it: one row per attempt, allowed or denied, and a row
 * with `dropped` where the kernel dropped denials before they were read (how many, exactly).
 */
export function networkRows(events: readonly NetworkEvent[]): Record<string, unknown>[] {
  return events.map(networkRow);
}

/** One line per network record, for people. */
export function describeNetworkEvent(e: NetworkEvent): string {
  switch (e.kind) {
    case 'denied-attempt': {
      const step = e.step === null ? '' : ` (step ${e.step})`;
      return `denied ${e.protocol} ${e.dstAddress}${e.dstPort === null ? '' : `:${e.dstPort}`} at the firewall${step}`;
    }
    case 'denials-dropped':
      return e.dropped === null
        ? 'denied attempts went unrecorded at the firewall (the reader of denials died; how many is not known)'
        : `${e.dropped} denied attempts dropped by the kernel before they were recorded (a flood overflowed the record)`;
    case 'proxy-decision':
      return `${e.decision} ${e.method} ${e.host}:${e.port} at the proxy: ${e.reason}`;
  }
}

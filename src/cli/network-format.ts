// How network records are shown: JSON rows for `--json`, one line each for people.
import type { NetworkEvent } from '../sandbox/network/network-events.js';

/** The network record as `--json` prints it: one row per attempt, allowed or denied. */
export function networkRows(events: readonly NetworkEvent[]): Record<string, unknown>[] {
  return events.map((e) =>
    e.kind === 'denied-attempt'
      ? {
          time: new Date(e.time).toISOString(),
          source: 'firewall',
          decision: 'denied',
          protocol: e.protocol,
          address: e.dstAddress,
          port: e.dstPort,
          step: e.step,
        }
      : {
          time: new Date(e.time).toISOString(),
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
        },
  );
}

/** One line per network record, for people. */
export function describeNetworkEvent(e: NetworkEvent): string {
  if (e.kind === 'denied-attempt') {
    const step = e.step === null ? '' : ` (step ${e.step})`;
    return `denied ${e.protocol} ${e.dstAddress}${e.dstPort === null ? '' : `:${e.dstPort}`} at the firewall${step}`;
  }
  return `${e.decision} ${e.method} ${e.host}:${e.port} at the proxy: ${e.reason}`;
}


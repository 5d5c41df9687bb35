// Domain fronting, as the proxy can see it: a tunnel asked for one host, and the client inside it
// names another (TLS SNI, or the Host of plain HTTP), which a CDN or shared front would route to.
import { normalizeHost } from '../../sandbox/network/domain-filter.js';
import type { Sniffed } from './protocol-sniffer.js';

/** The host named inside the tunnel when it is not the tunnel's target; null when they agree or nothing is named. */
export function frontedHost(target: string, sniffed: Sniffed): string | null {
  if (sniffed.detail === null || (sniffed.protocol !== 'tls' && sniffed.protocol !== 'http')) return null;
  const inner = sniffed.protocol === 'http' ? hostOfHostHeader(sniffed.detail) : sniffed.detail;
  if (inner === '') return null;
  return normalizeHost(inner) === normalizeHost(target) ? null : inner;
}

/** "name", "name:port", "[v6]:port" to the host part. */
function hostOfHostHeader(value: string): string {
  const v = value.trim();
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    return end < 0 ? v : v.slice(0, end + 1);
  }
  const colon = v.indexOf(':');
  return colon >= 0 && v.indexOf(':', colon + 1) < 0 ? v.slice(0, colon) : v;
}

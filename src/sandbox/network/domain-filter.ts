// Host allow/deny policy for the egress proxy: pattern validation, host normalisation and matching.
// Deny wins over allow, and nothing is allowed unless a rule says so. An entry may name a port
// ("host:8080"); an allow entry without one opens the web ports only (80 and 443), a deny entry
// without one closes every port.

import { isIP, isIPv4, isIPv6 } from 'node:net';

export interface DomainPolicy {
  allow: readonly string[];
  deny: readonly string[];
}

export interface DomainDecision {
  allowed: boolean;
  reason: string;
}

/**
 * Canonical form of a host name or IP literal: lowercase, one trailing dot and IPv6 brackets stripped.
 * IP literals are rewritten the way URL parsers and getaddrinfo read them ("127.1" -> "127.0.0.1",
 * "0:0::1" -> "::1"), so a rule about an address cannot be dodged by spelling it differently.
 */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (isIPv6(h)) return canonicalIPv6(h);
  if (/^[0-9a-fx.]+$/.test(h)) {
    // Decimal, octal and hex IPv4 shorthands: let the WHATWG parser decide whether this is an address.
    try {
      const parsed = new URL(`http://${h}/`).hostname;
      if (isIPv4(parsed)) return parsed;
    } catch {
      // Not parseable as a host at all; leave it for matching to reject.
    }
  }
  return h;
}

function canonicalIPv6(address: string): string {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address; // zone ids ("fe80::1%eth0") do not parse; keep the text, it will only match itself
  }
}

/** Whether one (already valid) pattern covers a host. Both sides are normalised here. */
export function matchesPattern(pattern: string, host: string): boolean {
  const h = normalizeHost(host);
  if (h === '') return false;
  const p = pattern.trim().toLowerCase().replace(/\.$/, '');
  const wildcard = p.startsWith('*.') ? 'subdomains' : p.startsWith('.') ? 'apex-and-subdomains' : null;
  if (wildcard === null || isIP(h) !== 0) return normalizeHost(p) === h; // addresses match only exactly
  const apex = p.slice(wildcard === 'subdomains' ? 2 : 1);
  if (apex === '') return false;
  return h.endsWith(`.${apex}`) || (wildcard === 'apex-and-subdomains' && h === apex);
}

/** Ports an allow entry that names none opens: the web's. */
export const DEFAULT_PORTS: readonly number[] = [80, 443];

/** Splits a (valid) entry into its host pattern and the port it names, if any. */
export function splitPort(entry: string): { pattern: string; port: number | null } {
  const bracketed = /^(\[[^\]]*\]):(\d{1,5})$/.exec(entry);
  if (bracketed) return { pattern: bracketed[1] ?? '', port: Number(bracketed[2]) };
  if (isIPv6(entry) || (entry.startsWith('[') && entry.endsWith(']'))) return { pattern: entry, port: null };
  const named = /^([^:]+):(\d{1,5})$/.exec(entry);
  return named ? { pattern: named[1] ?? '', port: Number(named[2]) } : { pattern: entry, port: null };
}

export function decideDomain(policy: DomainPolicy, host: string, port: number): DomainDecision {
  const denyRule = policy.deny.find((entry) => {
    const e = splitPort(entry);
    return matchesPattern(e.pattern, host) && (e.port === null || e.port === port);
  });
  if (denyRule !== undefined) return { allowed: false, reason: `denied by rule "${denyRule}"` };
  let nameAllowed: string | undefined;
  for (const entry of policy.allow) {
    const e = splitPort(entry);
    if (!matchesPattern(e.pattern, host)) continue;
    if (e.port === null ? DEFAULT_PORTS.includes(port) : e.port === port) return { allowed: true, reason: `allowed by rule "${entry}"` };
    nameAllowed ??= entry;
  }
  if (nameAllowed !== undefined) {
    return {
      allowed: false,
      reason: `port ${port} not allowed: "${nameAllowed}" opens ${splitPort(nameAllowed).port ?? DEFAULT_PORTS.join(' and ')} only (name the port, as in ${formatEntry(host, port)})`,
    };
  }
  return { allowed: false, reason: 'not in allow list' };
}

function formatEntry(host: string, port: number): string {
  return `${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;

/** Why an entry (a pattern, optionally with ":port") is unusable, or null when it is fine. For config validation. */
export function validateDomainPattern(entry: string): string | null {
  const { pattern: p, port } = splitPort(entry);
  if (port !== null && (port < 1 || port > 65535)) return `port ${port} is not in 1..65535`;
  if (p.length === 0) return 'empty pattern';
  if (/\s/.test(p)) return 'pattern must not contain whitespace';
  if (p.includes('://')) return 'pattern must be a host name, not a URL (remove the scheme)';
  if (/[/?#]/.test(p)) return 'pattern must not contain a path, query or fragment';
  if (p.includes('@')) return 'pattern must not contain credentials';
  if (p === '*') return 'a bare "*" would allow every host; list domains or use "*.example.com"';
  if (p.slice(p.startsWith('*.') ? 2 : 0).includes('*')) {
    return 'wildcard is only allowed as a leading "*." (as in "*.example.com")';
  }

  const bracketed = /^\[([^\]]*)\](.*)$/.exec(p);
  if (bracketed) {
    if (bracketed[2] !== '') return 'a port follows the host as ":PORT", one port per entry';
    return isIPv6(bracketed[1] ?? '') ? null : 'invalid IPv6 literal in brackets';
  }
  if (isIPv6(p)) return port === null ? null : 'put an IPv6 address in brackets to add a port ([::1]:8080)';
  if (p.includes(':')) return 'a port follows the host as ":PORT" (1..65535), one port per entry';

  const prefixed = p.startsWith('*.') || p.startsWith('.');
  const body = p.slice(p.startsWith('*.') ? 2 : p.startsWith('.') ? 1 : 0).replace(/\.$/, '');
  if (body === '') return 'pattern has no domain after the wildcard';
  if (isIPv4(body) || /^[0-9.]+$/.test(body)) {
    return prefixed ? 'IP literals match only exactly; drop the "*." or leading "."' : isIPv4(body) ? null : 'invalid IPv4 literal';
  }
  if (body.length > 253) return 'domain longer than 253 characters';
  const bad = body.split('.').find((label) => !LABEL.test(label));
  if (bad !== undefined) return bad === '' ? 'empty label (consecutive or misplaced dots)' : `invalid label "${bad}"`;
  return null;
}

/** Whether a normalised host is something the proxy may look up: an IP literal or a well-formed DNS name. */
export function isValidHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  if (host.length === 0 || host.length > 253) return false;
  return host.split('.').every((label) => LABEL.test(label));
}

// Host allow/deny policy for the egress proxy: pattern validation, host normalisation and matching.
// Deny wins over allow, and nothing is allowed unless a rule says so.

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

export function decideDomain(policy: DomainPolicy, host: string): DomainDecision {
  const denyRule = policy.deny.find((p) => matchesPattern(p, host));
  if (denyRule !== undefined) return { allowed: false, reason: `denied by rule "${denyRule}"` };
  const allowRule = policy.allow.find((p) => matchesPattern(p, host));
  if (allowRule !== undefined) return { allowed: true, reason: `allowed by rule "${allowRule}"` };
  return { allowed: false, reason: 'not in allow list' };
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;

/** Why a pattern is unusable, or null when it is fine. Meant for config validation, before any matching. */
export function validateDomainPattern(p: string): string | null {
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
    if (bracketed[2] !== '') return 'pattern must not contain a port';
    return isIPv6(bracketed[1] ?? '') ? null : 'invalid IPv6 literal in brackets';
  }
  if (isIPv6(p)) return null;
  if (p.includes(':')) return 'pattern must not contain a port';

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

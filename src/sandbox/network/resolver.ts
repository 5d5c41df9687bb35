// Pluggable name resolution for the egress proxy's upstream side, so tests and demos can point
// names at local fake servers while production uses the host's resolver.

import { lookup } from 'node:dns/promises';
import { isIPv6 } from 'node:net';
import { errorMessage } from '../../core/errors.js';
import { normalizeHost } from './domain-filter.js';

export interface UpstreamTarget {
  /** An IP address: the proxy connects to exactly this, after checking it, with no lookup of its own. */
  address: string;
  port: number;
  /**
   * Names a service praetor itself runs at this internal address and port (the model gateway), so
   * the proxy's internal-address check lets it through. Only entries praetor's own code writes
   * into a StaticResolver set it; nothing a sandbox or DNS says can.
   */
  trustedService?: string;
}

export interface UpstreamResolver {
  resolve(host: string, port: number): Promise<UpstreamTarget>;
}

/** ENOTFOUND: no such name; EAI_AGAIN: temporary resolver failure; EFAIL: anything else. */
export type ResolveErrorCode = 'ENOTFOUND' | 'EAI_AGAIN' | 'EFAIL';

export class ResolveError extends Error {
  constructor(
    readonly code: ResolveErrorCode,
    readonly host: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ResolveError';
  }
}

export type LookupFn = (host: string) => Promise<{ address: string }>;

/** Resolves through getaddrinfo (node:dns/promises lookup) and connects to the first address. */
export class DnsResolver implements UpstreamResolver {
  readonly #lookup: LookupFn;

  /** `lookupFn` replaces the system lookup; it exists so error mapping can be tested offline. */
  constructor(lookupFn: LookupFn = (host) => lookup(host)) {
    this.#lookup = lookupFn;
  }

  async resolve(host: string, port: number): Promise<UpstreamTarget> {
    try {
      const { address } = await this.#lookup(host);
      return { address, port };
    } catch (err) {
      throw new ResolveError(codeOf(err), host, `cannot resolve ${host}: ${errorMessage(err)}`, { cause: err });
    }
  }
}

function codeOf(err: unknown): ResolveErrorCode {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOTFOUND' || code === 'ENODATA' || code === 'NXDOMAIN') return 'ENOTFOUND';
  if (code === 'EAI_AGAIN' || code === 'ETIMEOUT') return 'EAI_AGAIN';
  return 'EFAIL';
}

/** A string entry is an address that keeps the requested port; an object fixes both. */
export type StaticEntry = string | UpstreamTarget;

/**
 * Fixed name -> target table. Keys are host names ("pool.example") or, for port-specific
 * overrides, "host:port" ("pool.example:3333", "[::1]:80"); the port-specific key wins.
 * Names not in the table go to `fallback`, or reject with ResolveError('ENOTFOUND').
 */
export class StaticResolver implements UpstreamResolver {
  readonly #entries = new Map<string, StaticEntry>();
  readonly #fallback: UpstreamResolver | undefined;

  constructor(entries: Readonly<Record<string, StaticEntry>>, fallback?: UpstreamResolver) {
    for (const [key, value] of Object.entries(entries)) {
      if (typeof value !== 'string') checkPort(value.port, key);
      this.#entries.set(normalizeKey(key), value);
    }
    this.#fallback = fallback;
  }

  resolve(host: string, port: number): Promise<UpstreamTarget> {
    const name = normalizeHost(host);
    const entry = this.#entries.get(hostPortKey(name, port)) ?? this.#entries.get(name);
    if (entry !== undefined) {
      return Promise.resolve(typeof entry === 'string' ? { address: entry, port } : { ...entry });
    }
    if (this.#fallback) return this.#fallback.resolve(host, port);
    return Promise.reject(new ResolveError('ENOTFOUND', host, `cannot resolve ${host}: not in static table`));
  }
}

function normalizeKey(key: string): string {
  const withPort = /^\[([^\]]+)\]:(\d+)$/.exec(key) ?? (isIPv6(key) ? null : /^([^:]+):(\d+)$/.exec(key));
  if (!withPort) return normalizeHost(key);
  const port = Number(withPort[2]);
  checkPort(port, key);
  return hostPortKey(normalizeHost(withPort[1] ?? ''), port);
}

function hostPortKey(host: string, port: number): string {
  return `${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

function checkPort(port: number, key: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`static resolver entry "${key}": port ${port} is not in 1..65535`);
  }
}

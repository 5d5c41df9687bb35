// Which addresses the egress proxy may connect to once a name is resolved: never the host, its
// loopback, private networks, the cloud metadata services or praetor's own cells (an allowed
// name that resolves there is a way in, SSRF), unless the sandbox's options allow a CIDR.
// CIDR parsing and matching come from ipaddr.js; the table of ranges is ours.
import { createRequire } from 'node:module';
import type * as IpAddr from 'ipaddr.js';
import { isIP, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { CELL_SUBNET_BASE } from './address-pool.js';
import { normalizeHost } from './domain-filter.js';

// ipaddr.js is CommonJS with `export =` typings; require keeps its types without synthetic defaults.
const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof IpAddr;
type IPv4 = InstanceType<typeof ipaddr.IPv4>;
type IPv6 = InstanceType<typeof ipaddr.IPv6>;
type Address = IPv4 | IPv6;

export const ADDRESS_CLASSES = [
  'metadata',
  'host',
  'praetor-cell',
  'loopback',
  'private',
  'cgnat',
  'link-local',
  'multicast',
  'unspecified',
  'broadcast',
  'reserved',
] as const;
/** Why an address is internal; null in a verdict means a public unicast address. */
export type AddressClass = (typeof ADDRESS_CLASSES)[number];

/** First match wins, so the specific entries (metadata, praetor's cells) come before the ranges that hold them. */
const IPV4_RANGES: readonly (readonly [string, AddressClass])[] = [
  ['169.254.169.254/32', 'metadata'], // AWS, GCP, Azure, OpenStack, Oracle
  ['169.254.170.2/32', 'metadata'], // AWS ECS task credentials
  ['100.100.100.200/32', 'metadata'], // Alibaba Cloud
  [`${CELL_SUBNET_BASE[0]}.${CELL_SUBNET_BASE[1]}.0.0/16`, 'praetor-cell'],
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'cgnat'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'], // IETF protocol assignments
  ['192.0.2.0/24', 'reserved'], // documentation
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'], // benchmarking, often used inside networks
  ['198.51.100.0/24', 'reserved'],
  ['203.0.113.0/24', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
];

const IPV6_RANGES: readonly (readonly [string, AddressClass])[] = [
  ['fd00:ec2::254/128', 'metadata'], // AWS over IPv6
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'private'], // local-use NAT64 (RFC 8215)
  ['::/96', 'reserved'], // IPv4-compatible, deprecated
  ['100::/64', 'reserved'], // discard
  ['2001::/32', 'reserved'], // Teredo: the IPv4 peer is hidden in the address
  ['2001:db8::/32', 'reserved'], // documentation
  ['fc00::/7', 'private'], // unique local
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'], // site-local, deprecated
  ['ff00::/8', 'multicast'],
];

type Range = readonly [Address, number, AddressClass];

function parseRanges(table: readonly (readonly [string, AddressClass])[]): readonly Range[] {
  return table.map(([cidr, cls]) => {
    const [net, bits] = ipaddr.parseCIDR(cidr);
    return [net, bits, cls] as const;
  });
}

/**
 * The IPv4 address an IPv6 one carries and that routing may reach: IPv4-mapped (::ffff:a.b.c.d),
 * well-known NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::). Null for other addresses.
 */
function embeddedIPv4(address: IPv6): IPv4 | null {
  if (address.isIPv4MappedAddress()) return address.toIPv4Address();
  const bytes = address.toByteArray();
  const v4 = (at: number): IPv4 => new ipaddr.IPv4(bytes.slice(at, at + 4));
  if (address.match(ipaddr.IPv6.parse('64:ff9b::'), 96)) return v4(12);
  if (address.match(ipaddr.IPv6.parse('2002::'), 16)) return v4(2);
  return null;
}

/**
 * Parses and classifies addresses. Built once per proxy (or per test): it holds the parsed
 * tables, never state that changes.
 */
export class AddressClassifier {
  readonly #v4 = parseRanges(IPV4_RANGES);
  readonly #v6 = parseRanges(IPV6_RANGES);

  /** The class of an IP literal, or null for a public unicast address. Throws on a non-address. */
  classify(address: string): AddressClass | null {
    const parsed = parseAddress(address);
    if (parsed.kind() === 'ipv4') return this.#match(parsed, this.#v4);
    const v6 = parsed as IPv6;
    const inner = embeddedIPv4(v6);
    if (inner !== null) return this.#match(inner, this.#v4);
    return this.#match(v6, this.#v6);
  }

  #match(address: Address, ranges: readonly Range[]): AddressClass | null {
    for (const [net, bits, cls] of ranges) {
      if (net.kind() === address.kind() && address.match(net, bits)) return cls;
    }
    return null;
  }
}

function parseAddress(address: string): Address {
  // node's isIP is strict (no "127.1" or octal forms); ipaddr.js then gives the bytes. IPv6 goes
  // through the WHATWG form first: ipaddr.js reads "::127.0.0.1" as IPv4-mapped, the kernel does not.
  if (isIP(address) === 0) throw new TypeError(`not an IP address: ${JSON.stringify(address)}`);
  return ipaddr.parse(isIPv6(address) ? normalizeHost(address) : address);
}

/** Why a CIDR is unusable as an allowance, or null when it is fine. For config validation. */
export function validateCidr(cidr: string): string | null {
  if (!cidr.includes('/')) return 'a CIDR needs a prefix length (127.0.0.1/32, 10.0.0.0/8, fd00::/8)';
  const [base = '', bits = ''] = cidr.split('/');
  if (isIP(base) === 0 || !/^\d{1,3}$/.test(bits) || !ipaddr.isValidCIDR(cidr)) return `not a CIDR: ${cidr}`;
  if (Number(bits) === 0) return 'a /0 would allow every address; name the ranges the sandbox needs';
  return null;
}

export type AddressVerdict =
  | { readonly allowed: true; readonly addressClass: AddressClass | null }
  | { readonly allowed: false; readonly addressClass: AddressClass | 'not-an-address'; readonly reason: string };

export interface AddressPolicyOptions {
  /** Ranges the sandbox may reach even though they are internal (validated with validateCidr). */
  readonly allowCidrs: readonly string[];
  /** The host's own addresses (os.networkInterfaces), asked for at each decision: they change. */
  readonly hostAddresses: () => readonly string[];
}

/** The proxy's check of the address it is about to connect to. Pure but for hostAddresses(). */
export class AddressPolicy {
  readonly #classifier = new AddressClassifier();
  readonly #allowed: readonly (readonly [Address, number])[];
  readonly #hostAddresses: () => readonly string[];

  constructor(options: AddressPolicyOptions) {
    this.#allowed = options.allowCidrs.map((cidr) => {
      const problem = validateCidr(cidr);
      if (problem !== null) throw new RangeError(`allowCidrs: ${problem}`);
      return ipaddr.parseCIDR(cidr);
    });
    this.#hostAddresses = options.hostAddresses;
  }

  decide(address: string): AddressVerdict {
    if (isIP(address) === 0) {
      // A name here would be looked up again by connect(), after the check: refuse rather than rebind.
      return { allowed: false, addressClass: 'not-an-address', reason: `internal-address: the resolver gave ${JSON.stringify(address)}, not an IP address` };
    }
    const own = this.#classifier.classify(address);
    // Loopback and metadata say more than "host"; any other address of this host is named as such.
    const cls = own === 'loopback' || own === 'metadata' || !this.#isHost(address) ? own : 'host';
    if (cls === null || this.#explicitlyAllowed(address)) return { allowed: true, addressClass: cls };
    return { allowed: false, addressClass: cls, reason: `internal-address: ${address} is ${describe(cls)} (allow it with allowCidrs)` };
  }

  #isHost(address: string): boolean {
    const target = unmapped(parseAddress(address));
    return this.#hostAddresses().some((own) => {
      if (isIP(own) === 0) return false;
      const mine = unmapped(parseAddress(own));
      return mine.kind() === target.kind() && mine.toNormalizedString() === target.toNormalizedString();
    });
  }

  #explicitlyAllowed(address: string): boolean {
    const parsed = parseAddress(address);
    const forms: Address[] = [parsed];
    if (parsed.kind() === 'ipv6') {
      const inner = embeddedIPv4(parsed as IPv6);
      // An IPv4 allowance covers the mapped forms that reach the same IPv4 host; the reverse too.
      if (inner !== null) forms.push(inner);
    } else {
      forms.push((parsed as IPv4).toIPv4MappedAddress());
    }
    return this.#allowed.some(([net, bits]) => forms.some((f) => f.kind() === net.kind() && f.match(net, bits)));
  }
}

/**
 * This host's own addresses (every interface, praetor's veths included), read again once `maxAgeMs`
 * has passed: reading them lists every interface, which is slow on a host with a thousand cells.
 */
export class HostAddresses {
  #read = 0;
  #addresses: readonly string[] = [];

  constructor(private readonly maxAgeMs = 1_000) {}

  current(): readonly string[] {
    const now = Date.now();
    if (now - this.#read >= this.maxAgeMs || this.#addresses.length === 0) {
      this.#addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
      this.#read = now;
    }
    return this.#addresses;
  }
}

function unmapped(address: Address): Address {
  return address.kind() === 'ipv6' && (address as IPv6).isIPv4MappedAddress() ? (address as IPv6).toIPv4Address() : address;
}

function describe(cls: AddressClass): string {
  switch (cls) {
    case 'metadata':
      return 'a cloud metadata address';
    case 'host':
      return "one of this host's own addresses";
    case 'praetor-cell':
      return "in praetor's sandbox cell range";
    case 'loopback':
      return 'a loopback address';
    case 'private':
      return 'a private address';
    case 'cgnat':
      return 'a carrier-grade NAT address';
    case 'link-local':
      return 'a link-local address';
    case 'multicast':
      return 'a multicast address';
    case 'unspecified':
      return 'an unspecified address';
    case 'broadcast':
      return 'the broadcast address';
    case 'reserved':
      return 'a reserved address';
  }
}

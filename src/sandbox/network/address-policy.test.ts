import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressClassifier, AddressPolicy, validateCidr, type AddressClass } from './address-policy.js';

const classifier = new AddressClassifier();

describe('AddressClassifier', () => {
  const cases: [string, AddressClass | null][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['10.242.0.10', 'private'], // the red team's fake world
    ['10.241.0.1', 'praetor-cell'],
    ['10.241.63.254', 'praetor-cell'],
    ['fd12:3456::1', 'private'],
    ['fc00::1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.254', 'cgnat'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    // IPv4 inside IPv6: mapped, NAT64 and 6to4 forms reach the same IPv4 host
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:10.241.0.1', 'praetor-cell'],
    ['::ffff:192.168.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['2002:7f00:1::1', 'loopback'],
    ['2002:c0a8:101::', 'private'],
    ['::127.0.0.1', 'reserved'],
    ['2001:0:4136:e378::1', 'reserved'], // Teredo
    // public unicast
    ['93.184.215.14', null],
    ['8.8.8.8', null],
    ['100.128.0.1', null],
    ['172.32.0.1', null],
    ['2606:4700::1111', null],
    ['::ffff:8.8.8.8', null],
    ['64:ff9b::808:808', null],
  ];
  for (const [address, expected] of cases) {
    it(`${address} is ${expected ?? 'public'}`, () => assert.equal(classifier.classify(address), expected));
  }

  it('refuses to classify a name or a lax IPv4 form', () => {
    assert.throws(() => classifier.classify('localhost'), TypeError);
    assert.throws(() => classifier.classify('127.1'), TypeError);
    assert.throws(() => classifier.classify('0x7f.0.0.1'), TypeError);
  });
});

describe('AddressPolicy', () => {
  const policy = (allowCidrs: string[] = [], own: string[] = ['203.0.113.77', '10.0.0.5']): AddressPolicy =>
    new AddressPolicy({ allowCidrs, hostAddresses: () => own });

  it('allows public addresses and refuses internal ones with their class', () => {
    assert.deepEqual(policy().decide('93.184.215.14'), { allowed: true, addressClass: null });
    const refused = policy().decide('127.0.0.1');
    assert.equal(refused.allowed, false);
    assert.equal(refused.addressClass, 'loopback');
    assert.match(refused.allowed ? '' : refused.reason, /^internal-address: 127\.0\.0\.1 is a loopback address/);
  });

  it("names the host's own addresses, mapped forms included", () => {
    const p = policy([], ['93.184.215.99', 'fe80::1']);
    assert.equal(p.decide('93.184.215.99').addressClass, 'host');
    assert.equal(p.decide('93.184.215.99').allowed, false);
    assert.equal(p.decide('::ffff:93.184.215.99').addressClass, 'host');
    assert.equal(p.decide('93.184.215.98').allowed, true);
  });

  it('lets an explicit CIDR through, in IPv4 and IPv4-mapped form, and nothing beside it', () => {
    const p = policy(['127.0.0.1/32', '10.242.0.0/23', 'fd00::/8']);
    assert.deepEqual(p.decide('127.0.0.1'), { allowed: true, addressClass: 'loopback' });
    assert.deepEqual(p.decide('::ffff:127.0.0.1'), { allowed: true, addressClass: 'loopback' });
    assert.equal(p.decide('127.0.0.2').allowed, false);
    assert.equal(p.decide('10.242.1.14').allowed, true);
    assert.equal(p.decide('10.242.2.1').allowed, false);
    assert.equal(p.decide('fd00:ec2::254').allowed, true);
    assert.equal(p.decide('169.254.169.254').allowed, false);
  });

  it('an allowance covers a host address inside it, as it says', () => {
    const p = policy(['10.0.0.0/24']);
    assert.deepEqual(p.decide('10.0.0.5'), { allowed: true, addressClass: 'host' });
  });

  it('refuses a resolver answer that is not an address: connect would look it up again', () => {
    const v = policy().decide('rebind.example');
    assert.equal(v.allowed, false);
    assert.equal(v.addressClass, 'not-an-address');
  });

  it('refuses bad allowances when built', () => {
    assert.throws(() => policy(['0.0.0.0/0']), /allowCidrs: a \/0 would allow every address/);
  });
});

describe('validateCidr', () => {
  it('accepts IPv4 and IPv6 CIDRs', () => {
    for (const c of ['127.0.0.1/32', '10.0.0.0/8', 'fd00::/8', '::1/128']) assert.equal(validateCidr(c), null, c);
  });
  it('refuses the rest with a reason', () => {
    assert.match(validateCidr('127.0.0.1') ?? '', /needs a prefix length/);
    assert.match(validateCidr('10.0.0.0/33') ?? '', /not a CIDR/);
    assert.match(validateCidr('127.1/32') ?? '', /not a CIDR/);
    assert.match(validateCidr('example.com/24') ?? '', /not a CIDR/);
    assert.match(validateCidr('::/0') ?? '', /would allow every address/);
  });
});

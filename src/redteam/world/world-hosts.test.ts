// The world's layout: the documented addresses for slot 0, disjoint /23s per slot, nothing in the
// sandbox cells' 10.241.0.0/16, and namespace batches that never route or forward anywhere else.
import * as assert from 'node:assert/strict';
import { it } from 'node:test';
import { DOCS_HOST, MAX_WORLDS, POOL_HOST, SSH_HOST, worldLayout } from './world-hosts.js';
import { hostRouteArgs, hostSideBatch, worldSideBatch } from './world-network.js';

it('slot 0 puts the external hosts in 10.242.0.0/24 and the internal ones in 10.242.1.0/24', () => {
  const layout = worldLayout(0, 'abc123');
  const byName = new Map(layout.hosts.map((h) => [h.name, h]));
  assert.equal(byName.get(SSH_HOST)?.address, '10.242.0.10');
  assert.equal(byName.get(POOL_HOST)?.address, '10.242.0.11');
  assert.equal(byName.get(DOCS_HOST)?.address, '10.242.0.13');
  assert.deepEqual(byName.get(SSH_HOST)?.ports, [22, 443]);
  assert.equal(layout.hostAddress, '10.242.0.1');
  assert.equal(layout.netns, 'praetor-world-abc123');
  for (const h of layout.hosts) assert.match(h.address, h.role === 'internal' ? /^10\.242\.1\./ : /^10\.242\.0\./);
  assert.equal(new Set(layout.hosts.map((h) => h.address)).size, layout.hosts.length, 'addresses are unique');
  assert.equal(new Set(layout.hosts.map((h) => h.name)).size, layout.hosts.length, 'names are unique');
});

it('each slot has a /23 of its own inside 10.242.0.0/16', () => {
  const last = worldLayout(MAX_WORLDS - 1, 'z');
  assert.equal(last.externalSubnet, '10.242.254.0/24');
  assert.equal(last.internalSubnet, '10.242.255.0/24');
  assert.equal(last.hostInterface, `pw${MAX_WORLDS - 1}`);
  const a = new Set(worldLayout(3, 'a').hosts.map((h) => h.address));
  for (const h of worldLayout(4, 'b').hosts) assert.ok(!a.has(h.address));
  assert.throws(() => worldLayout(MAX_WORLDS, 'a'), RangeError);
  assert.throws(() => worldLayout(0, 'Bad/id'), RangeError);
});

it('the ip batches add addresses and one route to the internal subnet, and nothing that forwards', () => {
  const layout = worldLayout(2, 'w1');
  const host = hostSideBatch(layout);
  assert.match(host, /^netns add praetor-world-w1$/m);
  assert.match(host, /^link add pw2 type veth peer name eth0 netns praetor-world-w1$/m);
  assert.match(host, /^addr add 10\.242\.4\.1\/24 dev pw2$/m);
  const world = worldSideBatch(layout);
  assert.match(world, /^addr add 10\.242\.4\.2\/24 dev eth0$/m);
  assert.match(world, /^addr add 10\.242\.5\.10\/32 dev eth0$/m);
  assert.doesNotMatch(world, /route|default/, 'the world has no route beyond its veth');
  assert.deepEqual(hostRouteArgs(layout), ['route', 'add', '10.242.5.0/24', 'via', '10.242.4.2', 'dev', 'pw2']);
  assert.doesNotMatch(`${host}${world}`, /forward|nat|masquerade/i);
});

import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { AddressPool, MAX_SLOTS, hostInterfaceGone, interfaceNames, slotAddresses } from './address-pool.js';

describe('slotAddresses', () => {
  it('gives each slot its own /30 and veth name', () => {
    assert.deepEqual(slotAddresses(0), {
      slot: 0,
      hostAddress: '10.241.0.1',
      sandboxAddress: '10.241.0.2',
      prefixLength: 30,
      hostInterface: 'pv0',
    });
    assert.equal(slotAddresses(64).hostAddress, '10.241.1.1');
    assert.equal(slotAddresses(MAX_SLOTS - 1).sandboxAddress, '10.241.255.254');
    assert.throws(() => slotAddresses(MAX_SLOTS));
    assert.ok(slotAddresses(MAX_SLOTS - 1).hostInterface.length <= 15);
  });
});

describe('AddressPool', () => {
  it('never hands one slot to two concurrent claimers, and reuses released slots', async () => {
    const dir = await mkdtemp(`${tmpdir()}/praetor-pool-`);
    try {
      const pool = new AddressPool(dir);
      const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.claim(`sb-${i}`)));
      assert.equal(new Set(claims.map((c) => c.slot)).size, 20);
      await pool.release(claims[3]!.slot);
      assert.equal((await pool.claim('sb-new')).slot, claims[3]!.slot);
      assert.equal((await pool.claims()).get(claims[3]!.slot), 'sb-new');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('passes over free slots the pool is told are not usable yet', async () => {
    const dir = await mkdtemp(`${tmpdir()}/praetor-pool-`);
    try {
      let lingering = new Set([0, 2]);
      const pool = new AddressPool(dir, MAX_SLOTS, (slot) => !lingering.has(slot));
      assert.deepEqual([(await pool.claim('a')).slot, (await pool.claim('b')).slot], [1, 3]);
      lingering = new Set();
      assert.equal((await pool.claim('c')).slot, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('hostInterfaceGone', () => {
  const netDev = [
    'Inter-|   Receive                            |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
    '    lo:  1000      10    0    0    0     0          0         0  1000      10    0    0    0     0       0          0',
    '   pv3:     0       0    0    0    0     0          0         0     0       0    0    0    0     0       0          0',
    '',
  ].join('\n');

  it('reads the names of this namespace from /proc/net/dev', () => {
    assert.deepEqual([...interfaceNames(netDev)].sort(), ['lo', 'pv3']);
    assert.equal(hostInterfaceGone(3, () => netDev), false);
    assert.equal(hostInterfaceGone(30, () => netDev), true);
  });
});

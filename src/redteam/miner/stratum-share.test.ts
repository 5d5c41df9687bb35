import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blockHeader, difficultyToTarget, headerHashValue, shareMeetsDifficulty, type StratumJob } from './stratum-share.js';

// Bitcoin's genesis block, cut into Stratum's pieces: its coinbase split around an 8-byte
// "extranonce", so the share path rebuilds a header whose hash is known.
const GENESIS_COINBASE =
  '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000';
const GENESIS_HASH = 0x000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26fn;
const job: StratumJob = {
  jobId: 'genesis',
  prevhash: '00'.repeat(32),
  coinb1: GENESIS_COINBASE.slice(0, 100),
  coinb2: GENESIS_COINBASE.slice(116),
  merkleBranches: [],
  version: '00000001',
  nbits: '1d00ffff',
  ntime: '495fab29',
};
const share = { extranonce1: GENESIS_COINBASE.slice(100, 108), extranonce2: GENESIS_COINBASE.slice(108, 116), ntime: '495fab29', nonce: '7c2bac1d' };

describe('stratum share arithmetic', () => {
  it("rebuilds the genesis block's header and hash from Stratum pieces", () => {
    const header = blockHeader(job, share);
    if (header === null) return assert.fail('the genesis pieces make a header');
    assert.equal(header.length, 80);
    assert.equal(headerHashValue(header), GENESIS_HASH);
  });

  it('accepts the genesis nonce at difficulty 1 and refuses a neighbour', () => {
    assert.equal(shareMeetsDifficulty(job, share, 1), true);
    assert.equal(shareMeetsDifficulty(job, { ...share, nonce: '7c2bac1e' }, 1), false);
  });

  it('maps difficulty to target as cpuminer does', () => {
    assert.equal(difficultyToTarget(1), 0xffff0000n << 192n);
    assert.equal(difficultyToTarget(2 ** -16), 0xffff0000n << 208n);
    assert.equal(difficultyToTarget(2 ** 32), 0xffff0000n << 160n);
    assert.equal(difficultyToTarget(2 ** -40), (1n << 256n) - 1n, 'a difficulty too low to express accepts every hash');
  });

  it('refuses malformed shares instead of throwing', () => {
    assert.equal(blockHeader(job, { ...share, nonce: 'zz' }), null);
    assert.equal(blockHeader(job, { ...share, ntime: '495fab' }), null);
    assert.equal(blockHeader({ ...job, merkleBranches: ['00'] }, share), null);
    assert.equal(shareMeetsDifficulty(job, { ...share, extranonce2: 'x' }, 2 ** -30), false);
  });
});

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectiveCapabilities, missingCapabilities, requireCapabilities } from './host-capabilities.js';
import { PraetorError } from '../../core/errors.js';

describe('host capabilities', () => {
  it('reads the effective set and names what is missing', () => {
    const full = effectiveCapabilities('Name:\tnode\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n');
    assert.equal(full, 0x1ffffffffffn);
    assert.deepEqual(missingCapabilities(full ?? 0n), []);
    // every capability but CAP_KILL (bit 5)
    assert.deepEqual(missingCapabilities(0x1ffffffffffn & ~(1n << 5n)), ['CAP_KILL']);
    assert.deepEqual(missingCapabilities(0n).length, 9);
  });

  it('refuses in one line, naming the missing ones', () => {
    assert.throws(
      () => requireCapabilities('CapEff:\t00000000a80425db\n'),
      (err: unknown) => err instanceof PraetorError && err.code === 'host-unsupported' && /needs CAP_KILL, CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_SYS_ADMIN, which this process lacks/.test(err.message) && !err.message.includes('\n'),
    );
    assert.throws(() => requireCapabilities('Name:\tx\n'), /can not read its capabilities/);
  });
});

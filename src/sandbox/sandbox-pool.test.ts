import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Sandbox, SandboxBackend } from './backend.js';
import { SandboxPool } from './sandbox-pool.js';

/** A backend whose sandboxes are plain records: the pool's logic is tested without a host. */
function fakeBackend(): SandboxBackend & { created: number; destroyed: string[]; failNext: boolean } {
  const state = { created: 0, destroyed: [] as string[], failNext: false };
  const make = (id: string): Sandbox =>
    ({
      id,
      destroy: () => {
        state.destroyed.push(id);
        return Promise.resolve();
      },
    }) as unknown as Sandbox;
  return Object.assign(state, {
    name: 'fake',
    create: () => {
      if (state.failNext) {
        state.failNext = false;
        return Promise.reject(new Error('no room'));
      }
      state.created++;
      return Promise.resolve(make(`sb-${state.created}`));
    },
    list: () => [],
    get: () => undefined,
    close: () => Promise.resolve(),
  });
}

describe('SandboxPool', () => {
  it('fills to size, hands out idle sandboxes first and refills behind', async () => {
    const backend = fakeBackend();
    const pool = new SandboxPool(backend, { size: 3 });
    await pool.fill();
    assert.equal(pool.available, 3);
    const first = await pool.acquire();
    assert.equal(first.id, 'sb-1');
    await pool.fill();
    assert.equal(pool.available, 3);
    assert.equal(backend.created, 4);
    await pool.close();
    assert.deepEqual(backend.destroyed.sort(), ['sb-2', 'sb-3', 'sb-4']);
  });

  it('with refillDelayMs, refills later while idle sandboxes remain and at once when the last one goes', async () => {
    const backend = fakeBackend();
    // a delay no test waits for: the refill can only come from the last acquire or fill()
    const pool = new SandboxPool(backend, { size: 3, refillDelayMs: 600_000 });
    await pool.fill();
    assert.equal(backend.created, 3);
    await pool.acquire();
    await pool.acquire();
    assert.equal(backend.created, 3, 'no create beside the step of the sandbox just handed out');
    await pool.acquire();
    assert.equal(backend.created, 6, 'the last idle sandbox taken: the pool refills at once');
    await pool.fill();
    assert.equal(pool.available, 3);
    await pool.acquire();
    await pool.close(); // the pending refill is dropped with the pool
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(backend.created, 6);
    assert.deepEqual(backend.destroyed.sort(), ['sb-5', 'sb-6']);
  });

  it('reports refill failures and still serves by creating on demand', async () => {
    const backend = fakeBackend();
    const errors: string[] = [];
    backend.failNext = true;
    const pool = new SandboxPool(backend, { size: 1, onError: (m) => errors.push(m) });
    await pool.fill();
    assert.deepEqual(errors, ['pool refill: no room']);
    const s = await pool.acquire();
    assert.ok(s.id.startsWith('sb-'));
    await pool.close();
    await assert.rejects(pool.acquire(), /closed/);
  });

  it('refuses a nonsensical size', () => {
    assert.throws(() => new SandboxPool(fakeBackend(), { size: 0 }), RangeError);
  });
});

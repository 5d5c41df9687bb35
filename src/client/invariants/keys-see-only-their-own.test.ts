// Keys through the TypeScript client against a real praetord on loopback TCP: no key or a wrong
// key is 401, the wrong scope 403, over quota 429; and one key can neither see nor touch another
// key's sandbox (404 as for an unknown id, absent from its list and its event stream). Needs root.
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Praetor, PraetorApiError } from 'praetor';
import { startPraetord, type PraetordProcess } from '../../testing/praetord-process.js';

let daemon: PraetordProcess;
let alice: Praetor;
let bob: Praetor;
let reader: Praetor;
let trainer: Praetor;

before(async () => {
  daemon = await startPraetord();
  const client = async (name: string, scope: 'sandboxes' | 'envs' | 'read', maxSandboxes?: number): Promise<Praetor> =>
    new Praetor({ host: daemon.url, apiKey: (await daemon.createKey(name, { scope, ...(maxSandboxes !== undefined ? { maxSandboxes } : {}) })).key });
  alice = await client('alice', 'sandboxes', 1);
  bob = await client('bob', 'sandboxes');
  reader = await client('reader', 'read');
  trainer = await client('trainer', 'envs');
});

after(async () => {
  for (const c of [alice, bob, reader, trainer]) c?.close();
  assert.equal(await daemon.stop(), 0, daemon.stderr());
});

async function status(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (err) {
    if (err instanceof PraetorApiError) return err.status;
    throw err;
  }
}

describe('keys on TCP', () => {
  it('answers 401 without a key and with a wrong or malformed one', async () => {
    const none = new Praetor({ host: daemon.url, apiKey: '' });
    const forged = new Praetor({ host: daemon.url, apiKey: 'pk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    const garbage = new Praetor({ host: daemon.url, apiKey: 'not-a-key' });
    try {
      for (const c of [none, forged, garbage]) {
        assert.equal(await status(c.sandboxes.list()), 401);
        assert.equal(await status(c.sandboxes.create()), 401);
      }
      assert.equal(await none.healthy(), true, '/healthz needs no key');
    } finally {
      for (const c of [none, forged, garbage]) c.close();
    }
  });

  it('answers 403 for a scope that does not cover the route', async () => {
    assert.equal(await status(reader.sandboxes.create()), 403);
    assert.equal(await status(trainer.sandboxes.create()), 403);
    assert.equal(await status(alice.envs.create({ id: 't', instruction: 'x' })), 403);
    assert.equal(await status(alice.keys.list()), 403);
    assert.equal(await status(reader.sandboxes.list()), 200, 'read may list');
  });

  it('answers 429 past the key quota, and frees the slot on destroy', async () => {
    const first = await alice.sandboxes.create();
    try {
      const over = await status(alice.sandboxes.create());
      assert.equal(over, 429);
    } finally {
      await first.destroy();
    }
    const again = await alice.sandboxes.create();
    await again.destroy();
  });

  it("one key can not see or touch another key's sandbox", async () => {
    const mine = await alice.sandboxes.create();
    try {
      assert.equal((await mine.exec('echo mine')).stdout, 'mine\n');
      const theirs = bob.sandboxes.handle(mine.id);
      assert.equal(await status(bob.sandboxes.get(mine.id)), 404);
      assert.equal(await status(theirs.exec('echo stolen')), 404);
      assert.equal(await status(theirs.files.read('/workspace')), 404);
      assert.equal(await status(theirs.files.write('/workspace/x', 'y')), 404);
      assert.equal(await status(theirs.createSession()), 404);
      assert.equal(await status(theirs.freeze()), 404);
      assert.equal(await status(theirs.destroy()), 404);
      // a read key sees every key's sandboxes (the dashboard's rule) and changes none
      assert.equal((await reader.sandboxes.get(mine.id)).id, mine.id);
      assert.equal(await status(reader.sandboxes.handle(mine.id).destroy()), 403);
      assert.equal(await status(reader.sandboxes.handle(mine.id).exec('echo stolen')), 403);
      assert.ok(!(await bob.sandboxes.list()).some((s) => s.id === mine.id));
      const stream = bob.events({ sandbox: mine.id });
      assert.equal(await status(stream.next()), 404);
      // Still alice's, untouched.
      assert.equal((await mine.refresh()).state, 'running');
      assert.equal((await mine.exec('echo still mine')).stdout, 'still mine\n');
    } finally {
      await mine.destroy();
    }
  });
});

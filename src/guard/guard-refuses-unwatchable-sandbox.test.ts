// The guard never lets a sandbox it can not watch run unwatched: handed one (here the in-memory
// fake, which lives nowhere on the host), it throws a typed error and the backend destroys the
// sandbox before anything runs in it.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { FakeBackend } from '../testing/fake-backend.js';
import { Guard } from './guard.js';
import { SandboxNotWatchableError } from './guard-errors.js';

void describe('guard refuses an unwatchable sandbox', () => {
  it('throws SandboxNotWatchableError from create, and no sandbox is left to run', async () => {
    const guard = new Guard({ processMonitor: false, gpu: false });
    const steps: number[] = [];
    const backend = new FakeBackend({
      observer: {
        sandboxCreated: (s) => guard.sandboxCreated(s),
        sandboxDestroyed: (id) => guard.sandboxDestroyed(id),
        stepStarted: (id, step, argv) => {
          steps.push(step);
          guard.stepStarted(id, step, argv);
        },
      },
    });
    await assert.rejects(backend.create(), (err: unknown) => {
      assert.ok(err instanceof SandboxNotWatchableError, `not the typed error: ${String(err)}`);
      assert.equal(err.code, 'policy-denied');
      assert.match(err.message, /the fake backend gives it no host view/);
      return true;
    });
    assert.deepEqual(backend.list(), []);
    assert.deepEqual(steps, []);
    await backend.close();
  });

  it('refuses it as the observer of a backend directly too', async () => {
    const guard = new Guard({ processMonitor: false, gpu: false });
    const backend = new FakeBackend({ observer: guard });
    await assert.rejects(backend.create(), SandboxNotWatchableError);
    assert.equal(backend.list().length, 0);
    assert.throws(() => guard.setPolicy('fake-1', { mode: 'monitor' }), /does not watch/);
  });
});

import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { FailureListeners, MonitorSupervisor, type MonitorFailure, type MonitorSource } from './monitor-source.js';

/** A monitor that dies on demand and fails its next `failStarts` starts. */
class FakeSource implements MonitorSource {
  readonly name = 'fake';
  starts = 0;
  stops = 0;
  failStarts = 0;
  private readonly failures = new FailureListeners();

  start(): Promise<void> {
    this.starts++;
    if (this.failStarts > 0) {
      this.failStarts--;
      return Promise.reject(new Error('helper missing'));
    }
    return Promise.resolve();
  }

  stop(): void {
    this.stops++;
  }

  onFailure(listener: (f: MonitorFailure) => void): () => void {
    return this.failures.add(listener);
  }

  die(reason = 'killed'): void {
    this.failures.emit({ monitor: this.name, reason, time: Date.now(), sandboxIds: null });
  }
}

function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error('condition not met in time'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

describe('MonitorSupervisor', () => {
  it('reports an outage once, restarts the monitor, and reports it back up', async () => {
    const source = new FakeSource();
    const log: string[] = [];
    const sup = new MonitorSupervisor(source, { onDown: (f) => log.push(`down ${f.reason}`), onUp: (m) => log.push(`up ${m}`) }, { minBackoffMs: 1 });
    await sup.start();
    source.die('SIGKILL');
    source.die('again'); // the same outage
    assert.equal(sup.down?.reason, 'SIGKILL');
    await until(() => log.length === 2);
    assert.deepEqual(log, ['down SIGKILL', 'up fake']);
    assert.equal(source.starts, 2);
    assert.equal(sup.down, null);
    sup.stop();
  });

  it('keeps retrying with a growing pause while the monitor can not start', async () => {
    const source = new FakeSource();
    const retries: number[] = [];
    let up = false;
    const sup = new MonitorSupervisor(
      source,
      { onDown: () => undefined, onUp: () => (up = true), onRetryFailed: (_m, _e, attempt) => retries.push(attempt) },
      { minBackoffMs: 1, maxBackoffMs: 4 },
    );
    await sup.start();
    source.failStarts = 3;
    source.die();
    await until(() => up);
    assert.deepEqual(retries, [1, 2, 3]);
    assert.equal(source.starts, 5);
    sup.stop();
  });

  it('does not restart a monitor stopped on purpose, and a first start that fails is the caller\'s error', async () => {
    const source = new FakeSource();
    source.failStarts = 1;
    const sup = new MonitorSupervisor(source, { onDown: () => assert.fail('no outage'), onUp: () => assert.fail('no restart') });
    await assert.rejects(sup.start(), /helper missing/);
    await sup.start();
    sup.stop();
    source.die();
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(source.starts, 2);
    assert.equal(source.stops, 1);
  });
});

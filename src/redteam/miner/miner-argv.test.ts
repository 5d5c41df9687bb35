import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { minerArgv } from './miner-argv.js';

describe('minerArgv', () => {
  it("writes xmrig's flags, with the pool as stratum+tcp", () => {
    assert.deepEqual(minerArgv({ pool: 'pool.example.test:3333', user: '44W' }), ['-o', 'stratum+tcp://pool.example.test:3333', '-u', '44W', '-p', 'x']);
  });

  it('adds every option it is given', () => {
    const argv = minerArgv({ pool: 'p:1', user: 'w', pass: 'rig', threads: 2, maxCpuUsage: 20, background: true, name: '[kworker/0:1]', runSeconds: 9, proxy: '10.0.0.1:3128', retryPauseSeconds: 2, donateLevel: 0 });
    assert.deepEqual(argv.slice(6), ['-t', '2', '--max-cpu-usage', '20', '--background', '--name', '[kworker/0:1]', '--run-seconds', '9', '--proxy', '10.0.0.1:3128', '--retry-pause', '2', '--donate-level', '0']);
    assert.equal(argv[5], 'rig');
  });
});

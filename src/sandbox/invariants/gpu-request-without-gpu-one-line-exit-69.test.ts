// Invariant: on a host without an NVIDIA GPU (this one: no nvidia-smi, no /dev/nvidia*), a GPU
// request is refused in one line with exit 69, before anything exists: no network slot, no record,
// no GPU claim, no data directory, no cgroup or cell of its own.
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../cli/exit-codes.js';

if (process.getuid?.() !== 0) throw new Error('this invariant test needs root (CI runs as root)');

const MAIN = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map(String);
}

it('praetor run --gpus 1 on a host without GPUs: one line, exit 69, nothing left behind', (t) => {
  const gpuHost = spawnSync('sh', ['-c', 'command -v nvidia-smi || ls /dev/nvidia0'], { encoding: 'utf8' });
  // A GPU host proves this with scripts/gpu-check.sh instead; CI and this project's machines have none.
  if (gpuHost.status === 0) return t.skip('this host has an NVIDIA GPU');
  const state = mkdtempSync(`${tmpdir()}/praetor-gpu-state-`);
  const data = mkdtempSync(`${tmpdir()}/praetor-gpu-data-`);
  try {
    for (const args of [['--gpus', '1'], ['--gpus', '0,1', '--gpu-shared'], ['--gpus', '1', '--allow-unmonitored-gpu']]) {
      const r = spawnSync(process.execPath, [MAIN, 'run', '--local', ...args, '--', 'true'], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, PRAETOR_STATE_DIR: state, PRAETOR_DATA_DIR: data },
      });
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
      assert.equal(r.status, EXIT.sandboxFailure, r.stderr);
      assert.deepEqual(lines, ['praetor: a GPU was asked for but this host has no NVIDIA GPU (nvidia-smi is not installed)']);
    }
    // The backend's shared files (the seccomp program) are removed on close; nothing of a sandbox was made.
    assert.deepEqual(files(state).filter((f) => !/^(sandboxes|slots|gpus)$/.test(f)), []);
    assert.deepEqual([...files(`${state}/sandboxes`), ...files(`${state}/slots`), ...files(`${state}/gpus`), ...files(`${data}/sandboxes`)], []);
  } finally {
    rmSync(state, { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  }
});

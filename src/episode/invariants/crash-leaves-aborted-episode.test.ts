// After `kill -9` of praetor in the middle of an episode, the next start shows the episode as
// aborted with every step done before the kill, and its sandbox is cleaned up.
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { openEpisodeStore } from '../store/open-store.js';
import { defaultHostPaths } from '../../sandbox/local/host-paths.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

it('a praetor killed mid-episode leaves an aborted episode with every step, and no sandbox', { timeout: 60_000 }, async (t) => {
  if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
  const dir = mkdtempSync(`${tmpdir()}/praetor-crash-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(`${dir}/task.yaml`, 'id: crash\ninstruction: count, then wait\nbudgets: { maxSteps: 5 }\n');
  writeFileSync(
    `${dir}/script.jsonl`,
    ['echo one', 'echo two', 'sleep 60'].map((c) => JSON.stringify({ tool: 'bash', args: { command: c } })).join('\n'),
  );
  const url = `sqlite:${dir}/episodes.db`;
  const runner = spawn(process.execPath, [CLI, 'episode', 'run', `${dir}/task.yaml`, '--policy', `scripted:${dir}/script.jsonl`, '--store', url], {
    stdio: 'ignore',
  });
  // wait until two steps are on disk (the third, sleep 60, is then running)
  let episodeId = '';
  let sandboxId = '';
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    if (!existsSync(`${dir}/episodes.db`)) continue;
    const store = openEpisodeStore(url);
    try {
      const running = store.listEpisodes({ status: 'running' })[0];
      if (running && store.steps(running.id).length === 2) {
        episodeId = running.id;
        sandboxId = running.sandboxId;
        break;
      }
    } finally {
      store.close();
    }
  }
  assert.ok(episodeId, 'the episode got two steps in');
  await new Promise((r) => setTimeout(r, 300));
  runner.kill('SIGKILL');
  await new Promise((resolve) => runner.once('exit', resolve));

  const shown = JSON.parse(execFileSync(process.execPath, [CLI, 'episode', 'show', episodeId, '--json', '--store', url], { encoding: 'utf8' })) as {
    episode: { status: string; statusReason?: string };
    steps: { index: number; observation: { content: string } }[];
  };
  assert.equal(shown.episode.status, 'aborted');
  assert.deepEqual(shown.steps.map((s) => s.index), [1, 2]);
  assert.match(shown.steps[1]?.observation.content ?? '', /^two/);
  const paths = defaultHostPaths();
  assert.ok(!existsSync(`${paths.stateDir}/sandboxes/${sandboxId}.json`), 'sandbox record removed');
  assert.ok(!existsSync(`${paths.dataDir}/sandboxes/${sandboxId}`), 'sandbox files removed');
  assert.ok(!execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(`praetor-${sandboxId}`), 'network namespace removed');
});

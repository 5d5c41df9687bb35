// The environment protocol over HTTP, driven in-process with app.request() against real sandboxes.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { Guard } from '../guard/guard.js';
import { LocalBackend } from '../sandbox/local/local-backend.js';
import { ToolRegistry } from '../agent/tools/tool-registry.js';
import { openEpisodeStore, type EpisodeStore } from '../episode/episode-store.js';
import { RolloutEnvironment } from '../episode/environment.js';
import { createEnvApi } from './env-api.js';

let guard: Guard;
let backend: LocalBackend;
let store: EpisodeStore;
let env: RolloutEnvironment;

before(async () => {
  if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
  guard = new Guard({ policy: { mode: 'monitor' } });
  await guard.start();
  backend = new LocalBackend({ observer: guard });
  store = openEpisodeStore('sqlite::memory:');
  env = new RolloutEnvironment({ backend, guard, store, tools: new ToolRegistry() }, 'http-test');
});
after(async () => {
  await env.closeAll();
  await backend.close();
  await guard.stop();
  store.close();
});

function post(app: ReturnType<typeof createEnvApi>, path: string, body: unknown): Promise<Response> {
  return Promise.resolve(app.request(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }));
}

it('make, reset, step, submit and close over HTTP; errors come back with statuses', async () => {
  const app = createEnvApi(env);
  const made = await post(app, '/v1/envs', { task: { id: 't', instruction: 'write ok to out.txt', verifier: 'grep -qx ok out.txt' } });
  assert.equal(made.status, 201);
  const { id } = (await made.json()) as { id: string };
  assert.equal((await post(app, `/v1/envs/${id}/step`, { action: { id: 'a', name: 'bash', arguments: { command: 'true' } } })).status, 400);
  const reset = (await (await post(app, `/v1/envs/${id}/reset`, {})).json()) as { observation: string };
  assert.equal(reset.observation, 'write ok to out.txt');
  const step = (await (await post(app, `/v1/envs/${id}/step`, { action: { id: 'a', name: 'bash', arguments: { command: 'echo ok > out.txt; echo wrote' } } })).json()) as {
    observation: string;
    reward: number;
    terminated: boolean;
  };
  assert.match(step.observation, /^wrote/);
  assert.deepEqual([step.reward, step.terminated], [0, false]);
  const done = (await (await post(app, `/v1/envs/${id}/step`, { action: { name: 'submit' } })).json()) as { reward: number; terminated: boolean };
  assert.deepEqual([done.reward, done.terminated], [1, true]);
  assert.equal((await app.request(`/v1/envs/${id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await app.request(`/v1/envs/${id}`, { method: 'DELETE' })).status, 404);
  const bad = await post(app, '/v1/envs', { task: { id: 'x' } });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: { message: string } }).error.message, /instruction/);
  assert.equal((await app.request('/v1/envs', { method: 'POST', body: 'not json' })).status, 400);
});

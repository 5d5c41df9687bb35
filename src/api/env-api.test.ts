// The environment protocol over HTTP, driven in-process with app.request() against real sandboxes.
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { useEpisodeWorld } from '../testing/episode-world.js';
import { createEnvApi } from './env-api.js';

const world = useEpisodeWorld('monitor', 'http-test');

function post(app: ReturnType<typeof createEnvApi>, path: string, body: unknown): Promise<Response> {
  return Promise.resolve(app.request(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }));
}

it('make, reset, step, submit and close over HTTP; errors come back with statuses', async () => {
  const app = createEnvApi(world.env);
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

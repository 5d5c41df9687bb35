// /mcp in-process (the service app over an in-memory backend, the SDK client's fetch pointed at
// `app.request()`): session lifetimes and their sandboxes, without root. The real daemon's tests
// (mcp-http.test.ts) cover the guard, keys over TCP and the miner.
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { pino } from 'pino';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Sandbox, SandboxBackend } from '../sandbox/backend.js';
import type { Guard } from '../guard/guard.js';
import { FakeSandbox } from '../testing/fake-sandbox.js';
import { callTool } from '../testing/mcp-kit.js';
import { openEpisodeStore } from '../episode/store/open-store.js';
import { createServiceApp } from '../service/service-app.js';
import { KeyStore } from '../service/key-store.js';
import { EventHub } from '../service/event-hub.js';
import { ServiceMetrics } from '../service/service-metrics.js';
import { QuotaLedger } from '../service/quota-ledger.js';
import { SandboxService } from '../service/sandbox-service.js';
import { EnvService } from '../service/env-service.js';
import { mcpMount } from './mcp-http.js';

class MemoryBackend implements SandboxBackend {
  readonly name = 'memory';
  readonly live = new Map<string, Sandbox>();
  private n = 0;
  create(): Promise<Sandbox> {
    const sandbox = new FakeSandbox({ id: `sb-${++this.n}`, exec: (argv) => ({ stdout: argv.join(' ') }) });
    sandbox.destroy = () => {
      this.live.delete(sandbox.id);
      return Promise.resolve();
    };
    this.live.set(sandbox.id, sandbox);
    return Promise.resolve(sandbox);
  }
  list(): Sandbox[] {
    return [...this.live.values()];
  }
  get(id: string): Sandbox | undefined {
    return this.live.get(id);
  }
  close(): Promise<void> {
    this.live.clear();
    return Promise.resolve();
  }
}

/** The guard's surface the service uses, doing nothing: these tests are about sessions. */
const quietGuard = { setPolicy: () => undefined, alerts: () => [], actions: () => [], settle: () => Promise.resolve() } as unknown as Guard;

function world(mcp: { idleMs?: number; maxSessions?: number } = {}) {
  const backend = new MemoryBackend();
  const keys = new KeyStore(':memory:');
  const log = pino({ level: 'silent' });
  const quotas = new QuotaLedger();
  const metrics = new ServiceMetrics({ sandboxesAlive: () => backend.live.size, poolSize: () => 0, guardHelperPids: () => [] });
  const sandboxes = new SandboxService({ backend, guard: quietGuard, pool: null, hub: new EventHub(), metrics, quotas, defaultGuardMode: 'block', log });
  const envs = new EnvService({ backend, guard: quietGuard, store: openEpisodeStore('memory:') }, quotas);
  const app = createServiceApp({ sandboxes, envs, keys, hub: new EventHub(), metrics, log, readiness: () => [], mounts: [mcpMount({ version: '0', ...mcp })] });
  const key = (): string => keys.create({ name: 'k', scope: 'sandboxes' }).token;
  const connect = async (token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> => {
    const transport = new StreamableHTTPClientTransport(new URL('http://praetord/mcp'), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
      fetch: async (url, init) => app.request(String(url), init, { transport: 'tcp' }),
    });
    const client = new Client({ name: 't', version: '0' });
    await client.connect(transport);
    return { client, transport };
  };
  return { app, backend, key, connect };
}

const until = async (check: () => boolean, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

it('an idle session ends and destroys the sandboxes it made; a busy one does not', async () => {
  const { backend, key, connect } = world({ idleMs: 200 });
  const token = key();
  const idle = await connect(token);
  const made = await callTool(idle.client, 'exec', { command: 'echo' });
  assert.equal(made.isError, false, made.text);
  const busy = await connect(token);
  await callTool(busy.client, 'sandbox_create', {});
  assert.equal(backend.live.size, 2);
  const keepAlive = setInterval(() => void busy.client.listTools(), 50);
  try {
    await until(() => !backend.live.has(String(made.data.sandbox)));
    assert.equal(backend.live.size, 1, 'the busy session keeps its sandbox');
    // the idle session is gone: its id is unknown now
    await assert.rejects(idle.client.listTools(), /Session not found|404/);
  } finally {
    clearInterval(keepAlive);
  }
});

it('the session cap answers 503 to a new session; ending one makes room', async () => {
  const { key, connect } = world({ maxSessions: 1 });
  const token = key();
  const first = await connect(token);
  await assert.rejects(connect(token), /503|too many MCP sessions/);
  await first.transport.terminateSession();
  const again = await connect(token);
  assert.equal((await again.client.listTools()).tools.length, 8);
});

it('a closed session refuses further calls and leaves no sandbox', async () => {
  const { backend, key, connect } = world();
  const { client, transport } = await connect(key());
  await callTool(client, 'sandbox_create', {});
  await callTool(client, 'sandbox_create', {});
  assert.equal(backend.live.size, 2);
  await transport.terminateSession();
  assert.equal(backend.live.size, 0);
  // the client forgot the session id: without one, only initialize is answered
  await assert.rejects(client.listTools(), /Server not initialized/);
});

it('a current sandbox the guard froze or terminated answers 409: the session does not start over elsewhere', async () => {
  const { app, backend, key, connect } = world();
  const token = key();
  const { client } = await connect(token);
  const first = await callTool(client, 'exec', { command: 'echo' });
  const id = String(first.data.sandbox);
  const frozen = await app.request(`/v1/sandboxes/${id}/freeze`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }, { transport: 'tcp' });
  assert.equal(frozen.status, 200);
  const refused = await callTool(client, 'exec', { command: 'echo' });
  assert.equal(refused.text, `sandbox-frozen: sandbox ${id} is frozen`);
  assert.equal(backend.live.size, 1, 'no second sandbox');
  const other = await connect(token);
  const second = String((await callTool(other.client, 'exec', { command: 'echo' })).data.sandbox);
  await backend.get(second)?.destroy(); // as the guard's terminate does, behind the service's back
  assert.equal((await callTool(other.client, 'exec', { command: 'echo' })).text, `sandbox-destroyed: sandbox ${second} is destroyed`);
  assert.equal(backend.live.size, 1, 'no fresh sandbox after a termination');
  // destroyed on purpose (here through the API): the next call gets a fresh one
  await app.request(`/v1/sandboxes/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }, { transport: 'tcp' });
  const fresh = await callTool(client, 'exec', { command: 'echo' });
  assert.equal(fresh.isError, false, fresh.text);
  assert.notEqual(fresh.data.sandbox, id);
});

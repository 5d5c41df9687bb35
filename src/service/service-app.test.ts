// The HTTP app in-process (`app.request()`) over an in-memory backend: auth (401/403), key
// isolation (404), quotas (429), validation (400 `path: message`), 413, 415, unknown routes,
// the OpenAPI document and the API page. Nothing here needs root; the real daemon has its own tests.
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Sandbox, SandboxBackend, SandboxOptionsInput } from '../sandbox/backend.js';
import type { Guard } from '../guard/guard.js';
import { FakeSandbox } from '../testing/fake-sandbox.js';
import { openEpisodeStore } from '../episode/store/open-store.js';
import { createServiceApp } from './service-app.js';
import { KeyStore, type Quotas, type Scope } from './key-store.js';
import { EventHub } from './event-hub.js';
import { ServiceMetrics } from './service-metrics.js';
import { QuotaLedger } from './quota-ledger.js';
import { SandboxService } from './sandbox-service.js';
import { EnvService } from './env-service.js';
import { ApprovalQueue } from '../policy/approval.js';

class MemoryBackend implements SandboxBackend {
  readonly name = 'memory';
  readonly live = new Map<string, Sandbox>();
  private n = 0;
  failNext: Error | null = null;
  async create(_options?: SandboxOptionsInput): Promise<Sandbox> {
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = null;
      throw err;
    }
    // `hang` never ends on its own: it stands for a step still running when its client goes away
    const sandbox = new FakeSandbox({ id: `sb-${++this.n}`, exec: (argv) => (argv[0] === 'hang' ? new Promise<never>(() => undefined) : { stdout: argv.join(' ') }) });
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
  async close(): Promise<void> {
    this.live.clear();
    return Promise.resolve();
  }
}

/** The guard's surface the service uses, doing nothing: these tests are about HTTP. */
const quietGuard = { setPolicy: () => undefined, alerts: () => [], actions: () => [], settle: () => Promise.resolve() } as unknown as Guard;

function world(opts: { approvals?: ApprovalQueue } = {}) {
  const backend = new MemoryBackend();
  const keys = new KeyStore(':memory:');
  const hub = new EventHub();
  const log = pino({ level: 'silent' });
  const quotas = new QuotaLedger();
  const metrics = new ServiceMetrics({ sandboxesAlive: () => backend.live.size, poolSize: () => 0, guardHelperPids: () => [] });
  const sandboxes = new SandboxService({ backend, guard: quietGuard, pool: null, hub, metrics, quotas, defaultGuardMode: 'block', log });
  const store = openEpisodeStore('memory:');
  const envs = new EnvService({ backend, guard: quietGuard, store }, quotas);
  const app = createServiceApp({ sandboxes, envs, keys, hub, metrics, log, readiness: () => [], limits: { jsonBytes: 4096, uploadBytes: 8192 }, ...(opts.approvals ? { approvals: opts.approvals } : {}) });
  const key = (scope: Scope, quotas?: Quotas): string => keys.create({ name: scope, scope, ...(quotas ? { quotas } : {}) }).token;
  /** A request over TCP (a key is needed) or, with `unix`, over the socket. */
  const call = async (method: string, path: string, opts: { key?: string; body?: unknown; raw?: string; type?: string; unix?: boolean } = {}) => {
    const headers: Record<string, string> = {};
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    if (opts.raw !== undefined) body = opts.raw;
    if (opts.type) headers['content-type'] = opts.type;
    const res = await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) }, { transport: opts.unix ? 'unix' : 'tcp' });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, json: json as Record<string, unknown> & { error?: { code: string; message: string } }, text };
  };
  return { app, backend, keys, key, call };
}

it('401 without a key over TCP or with a bad one; the socket acts as the local admin', async () => {
  const { call, key } = world();
  assert.equal((await call('GET', '/v1/sandboxes')).status, 401);
  const bad = await call('GET', '/v1/sandboxes', { key: 'pk_000000000000_' + 'A'.repeat(43) });
  assert.equal(bad.status, 401);
  assert.equal(bad.json.error?.code, 'unauthorized');
  assert.equal((await call('GET', '/v1/sandboxes', { unix: true })).status, 200);
  assert.equal((await call('GET', '/v1/sandboxes', { key: key('read') })).status, 200);
  assert.equal((await call('GET', '/healthz')).status, 200, 'health needs no key');
});

it('403 when the scope does not cover the route', async () => {
  const { call, key } = world();
  const read = key('read');
  const envs = key('envs');
  const sandboxes = key('sandboxes');
  assert.equal((await call('POST', '/v1/sandboxes', { key: read, body: {} })).status, 403);
  assert.equal((await call('POST', '/v1/sandboxes', { key: envs, body: {} })).status, 403);
  assert.equal((await call('GET', '/v1/keys', { key: sandboxes })).status, 403);
  assert.equal((await call('GET', '/v1/keys', { key: read })).status, 403);
  assert.equal((await call('POST', '/v1/envs', { key: sandboxes, body: { task: {} } })).status, 403);
  const made = await call('POST', '/v1/sandboxes', { key: sandboxes, body: {} });
  assert.equal(made.status, 201);
  assert.equal((await call('GET', '/v1/events?types=bogus', { key: envs })).status, 400);
});

it("one key can not see or touch another's sandbox (404); an admin key can", async () => {
  const { call, key } = world();
  const a = key('sandboxes');
  const b = key('sandboxes');
  const { json } = await call('POST', '/v1/sandboxes', { key: a, body: { labels: { who: 'a' } } });
  const id = String(json.id);
  for (const [method, path, body] of [
    ['GET', `/v1/sandboxes/${id}`],
    ['DELETE', `/v1/sandboxes/${id}`],
    ['POST', `/v1/sandboxes/${id}/exec`, { command: 'id' }],
    ['POST', `/v1/sandboxes/${id}/freeze`],
    ['POST', `/v1/sandboxes/${id}/sessions`],
    ['GET', `/v1/sandboxes/${id}/files?path=x`],
    ['GET', `/v1/sandboxes/${id}/alerts`],
    ['GET', `/v1/events?sandbox=${id}`],
  ] as const) {
    const r = await call(method, path, { key: b, ...(body ? { body } : {}) });
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.equal(r.json.error?.code, 'not-found');
  }
  assert.deepEqual((await call('GET', '/v1/sandboxes', { key: b })).json.sandboxes, []);
  assert.equal(((await call('GET', '/v1/sandboxes', { key: key('admin') })).json.sandboxes as unknown[]).length, 1);
  const exec = await call('POST', `/v1/sandboxes/${id}/exec`, { key: a, body: { command: ['echo', 'hi'] } });
  assert.equal(exec.status, 200);
  assert.equal(exec.json.stdout, 'echo hi');
  assert.equal((await call('DELETE', `/v1/sandboxes/${id}`, { key: a })).status, 204);
  assert.equal((await call('GET', `/v1/sandboxes/${id}`, { key: a })).status, 404);
});

it('429 past a quota of sandboxes or memory; a destroyed sandbox gives its share back', async () => {
  const { call, key } = world();
  const k = key('sandboxes', { maxSandboxes: 2, maxMemoryBytes: 3 * 2 ** 30 });
  const first = await call('POST', '/v1/sandboxes', { key: k, body: { memory: '2g' } });
  assert.equal(first.status, 201);
  const over = await call('POST', '/v1/sandboxes', { key: k, body: { memory: '2g' } });
  assert.equal(over.status, 429);
  assert.match(over.json.error?.message ?? '', /memory/);
  assert.equal((await call('POST', '/v1/sandboxes', { key: k, body: { memory: '1g' } })).status, 201);
  const third = await call('POST', '/v1/sandboxes', { key: k, body: { memory: '1m' } });
  assert.equal(third.status, 429);
  assert.match(third.json.error?.message ?? '', /live sandboxes \(2\)/);
  assert.equal((await call('DELETE', `/v1/sandboxes/${String(first.json.id)}`, { key: k })).status, 204);
  assert.equal((await call('POST', '/v1/sandboxes', { key: k, body: {} })).status, 201);
});

it('bad bodies get 400 with path: message; a host workspace path is refused everywhere', async () => {
  const { call } = world();
  const types = await call('POST', '/v1/sandboxes', { unix: true, body: { cpus: 'two', memory: 'lots', allowDomains: [3] } });
  assert.equal(types.status, 400);
  assert.equal(types.json.error?.code, 'invalid-request');
  assert.match(types.json.error?.message ?? '', /cpus: .*; memory: not a size: lots.*; allowDomains\[0\]: /);
  const host = await call('POST', '/v1/sandboxes', { unix: true, body: { workspace: '/etc' } });
  assert.equal(host.status, 400);
  assert.match(host.json.error?.message ?? '', /workspace/);
  const task = await call('POST', '/v1/envs', { unix: true, body: { task: { id: 't', instruction: 'x', workspace: '/etc' } } });
  assert.equal(task.status, 400);
  assert.match(task.json.error?.message ?? '', /task\.workspace/);
  const nested = await call('POST', '/v1/envs', { unix: true, body: { task: { id: 't', instruction: 'x', sandbox: { workspace: '/etc' } } } });
  assert.equal(nested.status, 400);
  assert.match(nested.json.error?.message ?? '', /task\.sandbox/);
  const exec = await call('POST', '/v1/sandboxes/sb-x/exec', { unix: true, body: { command: [] } });
  assert.equal(exec.status, 400);
  assert.match(exec.json.error?.message ?? '', /^command: /);
});

it('malformed JSON 400, wrong media type 415, oversize 413, unknown route 404: all JSON, no stack', async () => {
  const { call, backend } = world();
  const cases = [
    [await call('POST', '/v1/sandboxes', { unix: true, raw: '{"cpus":', type: 'application/json' }), 400],
    [await call('POST', '/v1/sandboxes', { unix: true, raw: 'cpus=1', type: 'application/x-www-form-urlencoded' }), 415],
    [await call('POST', '/v1/keys', { unix: true, raw: JSON.stringify({ name: 'x'.repeat(5000), scope: 'read' }), type: 'application/json' }), 413],
    [await call('PUT', '/v1/sandboxes/sb-1/files?path=a', { unix: true, raw: 'x'.repeat(20_000) }), 413],
    [await call('GET', '/v2/nothing', { unix: true }), 404],
    [await call('PATCH', '/v1/sandboxes', { unix: true }), 404],
  ] as const;
  for (const [r, status] of cases) {
    assert.equal(r.status, status, r.text);
    assert.equal(typeof r.json.error?.code, 'string');
    assert.doesNotMatch(r.text, /\bat .*\.js:\d+/);
  }
  backend.failNext = new Error('secret detail\n    at internal.js:1:1');
  const crash = await call('POST', '/v1/sandboxes', { unix: true, body: {} });
  assert.equal(crash.status, 500);
  assert.deepEqual(crash.json.error, { code: 'internal', message: 'internal error (see the daemon log)' });
});

it('serves an OpenAPI 3.1 document built from the request schemas, and a readable page', async () => {
  const { app } = world();
  const doc = (await (await app.request('/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
  assert.equal(doc.openapi, '3.1.0');
  for (const p of ['/v1/sandboxes', '/v1/sandboxes/{id}/exec', '/v1/sandboxes/{id}/exec/stream', '/v1/events', '/v1/envs/{id}/step', '/v1/keys', '/v1/approvals', '/v1/approvals/{id}']) assert.ok(doc.paths[p], p);
  assert.deepEqual(Object.keys(doc.components.schemas.SandboxCreate?.properties ?? {}).sort(), [
    'allowCidrs', 'allowDomains', 'allowUnmonitoredGpu', 'bait', 'cpus', 'denyDomains', 'disk', 'env', 'gpu', 'gpuShared', 'gpus', 'guardMinSeverity', 'guardMode', 'labels', 'memory', 'pids', 'workspaceTar',
  ]);
  const page = await app.request('/docs');
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  const html = await page.text();
  assert.match(html, /\/v1\/sandboxes\/\{id\}\/exec/);
  assert.doesNotMatch(html, /<script/);
});

it('allowCidrs (internal ranges a sandbox may reach) is for admin keys only; disk is for every key', async () => {
  const { call, key } = world();
  const sandboxes = key('sandboxes');
  const refused = await call('POST', '/v1/sandboxes', { key: sandboxes, body: { allowCidrs: ['10.0.0.0/8'] } });
  assert.equal(refused.status, 403);
  assert.match(refused.json.error?.message ?? '', /allowCidrs/);
  const sized = await call('POST', '/v1/sandboxes', { key: sandboxes, body: { disk: '64m' } });
  assert.equal(sized.status, 201, sized.text);
  assert.equal((sized.json.options as { disk: number }).disk, 64 * 2 ** 20);
  const admin = await call('POST', '/v1/sandboxes', { unix: true, body: { allowCidrs: ['10.0.0.0/8'] } });
  assert.equal(admin.status, 201, admin.text);
  assert.deepEqual((admin.json.options as { allowCidrs: string[] }).allowCidrs, ['10.0.0.0/8']);
  assert.equal((await call('POST', '/v1/sandboxes', { unix: true, body: { disk: '1k' } })).status, 400);
});

it("approvals: the command policy's asks are listed and answered by an admin; 404 without a policy", async () => {
  assert.equal((await world().call('GET', '/v1/approvals', { unix: true })).status, 404);
  const approvals = new ApprovalQueue();
  const { call, key } = world({ approvals });
  const answer = approvals.request(
    { id: 'ask-1', sandboxId: 'sb-1', step: 2, source: 'exec', target: 'curl http://x', rule: null, reason: 'network tool', createdAt: 1 },
    new AbortController().signal,
  );
  const listed = await call('GET', '/v1/approvals', { key: key('read') });
  assert.equal(listed.status, 200);
  assert.deepEqual((listed.json.approvals as { id: string }[]).map((a) => a.id), ['ask-1']);
  assert.equal((await call('POST', '/v1/approvals/ask-1', { key: key('read'), body: { decision: 'allow' } })).status, 403);
  assert.equal((await call('POST', '/v1/approvals/ask-1', { key: key('sandboxes'), body: { decision: 'allow' } })).status, 403);
  assert.equal((await call('POST', '/v1/approvals/ask-1', { unix: true, body: { decision: 'maybe' } })).status, 400);
  assert.equal((await call('POST', '/v1/approvals/ask-1', { unix: true, body: { decision: 'deny' } })).status, 204);
  assert.deepEqual(await answer, { decision: 'deny', by: 'key:local' });
  assert.equal((await call('POST', '/v1/approvals/ask-1', { unix: true, body: { decision: 'allow' } })).status, 404);
});

it('POST /v1/run: the sandbox, the step streamed, then the sandbox destroyed by the daemon; create\'s checks apply', async () => {
  const { app, call, key, backend } = world();
  const k = key('sandboxes', { maxSandboxes: 1 });
  const run = await call('POST', '/v1/run', { key: k, body: { command: ['echo', 'hi'], sandbox: { labels: { a: 'b' } } } });
  assert.equal(run.status, 200, run.text);
  const events = [...run.text.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((m) => ({ event: m[1], data: JSON.parse(m[2] ?? 'null') as Record<string, unknown> }));
  assert.deepEqual(events.map((e) => e.event), ['sandbox', 'stdout', 'exit']);
  assert.match(String(events[0]?.data.id), /^sb-/);
  assert.equal(events[2]?.data.stdout, 'echo hi');
  assert.equal(backend.live.size, 0, 'destroyed once the exit was sent');
  assert.deepEqual((await call('GET', '/v1/sandboxes', { key: k })).json.sandboxes, []);
  assert.equal((await call('POST', '/v1/run', { key: key('read'), body: { command: 'true' } })).status, 403);
  assert.equal((await call('POST', '/v1/run', { key: k, body: { command: [] } })).status, 400);
  assert.equal((await call('POST', '/v1/run', { key: k, body: { command: 'true', sandbox: { workspace: '/etc' } } })).status, 400);
  assert.equal((await call('POST', '/v1/run', { key: k, body: { command: 'true', sandbox: { allowCidrs: ['10.0.0.0/8'] } } })).status, 403);
  assert.equal((await call('POST', '/v1/sandboxes', { key: k, body: {} })).status, 201);
  const over = await call('POST', '/v1/run', { key: k, body: { command: 'true' } });
  assert.equal(over.status, 429, 'a run counts against the live-sandbox quota');
  // A client that goes away mid-step: its sandbox is destroyed, the step with it.
  const before = backend.live.size;
  const res = await app.request('/v1/run', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: ['hang'] }) }, { transport: 'unix' });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  assert.match(new TextDecoder().decode((await reader.read()).value), /event: sandbox/);
  assert.equal(backend.live.size, before + 1);
  await reader.cancel();
  for (let i = 0; i < 50 && backend.live.size > before; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(backend.live.size, before, 'the abandoned run\'s sandbox is destroyed');
});

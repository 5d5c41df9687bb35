// A bounded fuzz of praetord: a few thousand malformed requests (bad JSON, wrong types, huge
// fields, unknown routes and methods, bad paths and queries, bad keys, bodies over the limit,
// chunked and not) against a real daemon. No answer may be a 5xx, the daemon must stay up, and no
// sandbox may be left behind. Deterministic: a seeded generator, the seed printed.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { DaemonProcess } from './testing/daemon-process.js';

const REQUESTS = 3000;
const SEED = Number(process.env.PRAETOR_FUZZ_SEED ?? 12);

/** mulberry32: small, seeded, good enough to pick cases. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  method: string;
  path: string;
  raw?: Buffer | string;
  headers?: Record<string, string>;
  via?: 'tcp' | 'unix';
  key?: string;
}

function generator(random: () => number, sandbox: string) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const junkString = (): string => pick(['', 'x', '\u0000', '../../etc/shadow', '/etc/shadow', '%00', '\ud800', 'ünïcødé', '{"a":', 'a'.repeat(300_000), '-1', 'NaN', ' ', '\n\r']);
  const junkValue = (depth = 0): unknown =>
    pick<() => unknown>([
      () => null,
      () => true,
      () => -1,
      () => 1e308,
      () => 0.5,
      () => junkString(),
      () => (depth < 3 ? [junkValue(depth + 1), junkValue(depth + 1)] : []),
      () => (depth < 3 ? { [junkString().slice(0, 20)]: junkValue(depth + 1) } : {}),
      () => Array.from({ length: 5000 }, () => 'no such domain!'),
    ])();
  const fields = ['cpus', 'memory', 'pids', 'env', 'allowDomains', 'denyDomains', 'gpu', 'labels', 'guardMode', 'workspaceTar', 'command', 'cwd', 'stdin', 'timeoutMs', 'task', 'action', 'name', 'scope', 'quotas'];
  /** Always invalid: an unknown key, or a field of a type no schema takes. */
  const badBody = (): Record<string, unknown> => {
    const body: Record<string, unknown> = {};
    for (let i = 0; i < 1 + Math.floor(random() * 4); i++) body[pick(fields)] = junkValue();
    if (random() < 0.5) body.__fuzz = junkValue();
    else body.command = pick([null, 7, { a: 1 }, []]);
    return body;
  };
  const jsonRoutes: [string, string][] = [
    ['POST', '/v1/sandboxes'],
    ['POST', `/v1/sandboxes/${sandbox}/exec`],
    ['POST', `/v1/sandboxes/${sandbox}/exec/stream`],
    ['POST', `/v1/sandboxes/${sandbox}/sessions`],
    ['POST', `/v1/sandboxes/${sandbox}/sessions/ss-nope/exec`],
    ['POST', '/v1/envs'],
    ['POST', '/v1/envs/env-nope/step'],
    ['POST', '/v1/keys'],
  ];
  const paths = [
    `/v1/sandboxes/${sandbox}/files?path=${encodeURIComponent(junkString().slice(0, 5000))}`,
    `/v1/sandboxes/${sandbox}/files/list?path=/etc`,
    `/v1/sandboxes/${sandbox}/archive?path=..%2F..`,
    `/v1/sandboxes/${'x'.repeat(5000)}`,
    '/v1/sandboxes/%E0%A4%A',
    '/v1/sandboxes/%2e%2e%2f%2e%2e',
    `/v1/sandboxes/${sandbox}/alerts?step=abc`,
    '/v1/events?types=alert,bogus',
    '/v1/events?sandbox=sb-nope',
    '/v1/episodes?limit=-5',
    '/v1/episodes/ep-nope',
    '/v1/keys/zz',
    '/v2/anything',
    '/v1',
    '/' + 'a/'.repeat(2000),
    '/openapi.json?x=%',
  ];
  return (): Case => {
    const kind = random();
    if (kind < 0.35) {
      const [method, path] = pick(jsonRoutes);
      return { method, path, raw: JSON.stringify(badBody()), headers: { 'content-type': 'application/json' } };
    }
    if (kind < 0.5) {
      const [method, path] = pick(jsonRoutes);
      const text = JSON.stringify(badBody());
      const raw = pick([text.slice(0, Math.floor(random() * text.length)), '\u0000\u0001\u0002', 'null', '[]', '"str"', '1e999', text.replace(/"/g, "'"), Buffer.from([0xff, 0xfe, 0x00, 0x7b])]);
      return { method, path, raw, headers: { 'content-type': pick(['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) } };
    }
    if (kind < 0.65) return { method: pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']), path: pick(paths) };
    if (kind < 0.75) {
      const [method, path] = pick(jsonRoutes);
      return { method, path, raw: '{"name":"' + 'n'.repeat(1_100_000) + '"}', headers: { 'content-type': 'application/json' } };
    }
    if (kind < 0.8) return { method: 'PUT', path: `/v1/sandboxes/${sandbox}/archive?path=/tmp/f`, raw: Buffer.alloc(1 + Math.floor(random() * 20_000), Math.floor(random() * 256)) };
    if (kind < 0.85) return { method: 'PUT', path: `/v1/sandboxes/${sandbox}/files?path=/tmp/big`, raw: Buffer.alloc(1_200_000, 1) };
    if (kind < 0.95) {
      const [method, path] = pick(jsonRoutes);
      return { method, path, via: 'tcp', key: pick(['', 'pk_', 'pk_000000000000_' + 'A'.repeat(43), 'Basic Zm9vOmJhcg==', 'x'.repeat(9000)]), raw: '{}', headers: { 'content-type': 'application/json' } };
    }
    return { method: pick(['POST', 'PUT']), path: pick(jsonRoutes)[1], headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, raw: Buffer.alloc(1_500_000, 0x20) };
  };
}

let d: DaemonProcess;
before(async () => {
  if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
  d = await DaemonProcess.start(['--pool', '0', '--max-upload', '1m', '--log-level', process.env.PRAETOR_FUZZ_LOG ?? 'info']);
});
after(async () => {
  if (!d) return;
  await d.stop('SIGTERM');
  d.cleanup();
});

function recordsOf(pid: number): string[] {
  const dir = '/run/praetor/sandboxes';
  return readdirSync(dir).filter((f) => {
    try {
      return (JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) as { ownerPid?: number }).ownerPid === pid;
    } catch {
      return false;
    }
  });
}

it(`${REQUESTS} malformed requests: no 5xx, no crash, no sandbox left behind`, async () => {
  const target = await d.call('POST', '/v1/sandboxes', { via: 'unix', body: {} });
  assert.equal(target.status, 201);
  const sandbox = String(target.json.id);
  const next = generator(rng(SEED), sandbox);
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < REQUESTS) {
      sent++;
      const c = next();
      const headers = { ...c.headers, ...(c.key !== undefined ? { authorization: `Bearer ${c.key}` } : {}) };
      const r = await d.call(c.method, c.path, { via: c.via ?? 'unix', headers, ...(c.raw !== undefined ? { raw: c.raw } : {}) }).catch((err: unknown) => ({ status: -1, body: Buffer.from(String(err)) }));
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status >= 500 || r.status < 0) failures.push(`${c.method} ${c.path.slice(0, 80)} -> ${r.status} ${r.body.toString().slice(0, 200)}`);
      if (r.status >= 400 && c.method !== 'HEAD' && !/^\{"error":\{"code":"[a-z-]+","message":"[^\n]*"\}\}$/.test(r.body.toString())) failures.push(`${c.method} ${c.path.slice(0, 80)} -> ${r.status} not the error shape: ${r.body.toString().slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: 12 }, worker));
  console.log(`# seed ${SEED}: ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}x${n}`).join(' ')}`);
  if (failures.length > 0) console.log(d.stderr.slice(-3000), d.stdout.split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-5).join('\n'));
  assert.deepEqual(failures.slice(0, 10), []);
  assert.equal(d.child.exitCode, null, 'the daemon is still running');
  assert.equal((await d.call('GET', '/healthz')).status, 200);
  const listed = await d.call('GET', '/v1/sandboxes', { via: 'unix' });
  assert.deepEqual((listed.json.sandboxes as { id: string }[]).map((s) => s.id), [sandbox], 'only the sandbox this test created');
  assert.equal((await d.call('DELETE', `/v1/sandboxes/${sandbox}`, { via: 'unix' })).status, 204);
  assert.deepEqual(recordsOf(d.child.pid ?? -1), [], 'no sandbox of this daemon is left on the host');
});

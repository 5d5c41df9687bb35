// The routes the dashboard stands on, in-process over the in-memory backend (no root, no browser):
// login to an http-only SameSite=Strict cookie, the header a state-changing cookie request needs,
// logout and revocation ending a session, the CSP on /ui, read keys seeing every key's objects,
// the alert history's filters and isolation, telemetry, red-team reports, and the OpenAPI document.
import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDashboardWorld, type DashboardWorld } from '../testing/dashboard-world.js';

const report = (startedAt: number) => ({
  praetorVersion: '0.1.0',
  startedAt,
  endedAt: startedAt + 1000,
  host: 'ci',
  suites: ['rome'],
  scenarios: [{ id: 'rome-replay', suite: 'rome', title: 'ROME', passed: true, episodeId: 'ep-1', timeline: [] }],
  summary: { recall: 1, falseAlertRate: 0, containment: 1, passed: 1, failed: 0 },
});

describe('dashboard routes', () => {
  let w: DashboardWorld;
  let dir = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'praetor-dash-routes-'));
    await mkdir(join(dir, 'ui'));
    await writeFile(join(dir, 'ui', 'index.html'), '<!doctype html><title>ui</title>');
    await mkdir(join(dir, 'reports', 'run-2'), { recursive: true });
    await writeFile(join(dir, 'reports', 'run-1.json'), JSON.stringify(report(1000)));
    await writeFile(join(dir, 'reports', 'run-2', 'report.json'), JSON.stringify(report(2000)));
    await writeFile(join(dir, 'reports', 'broken.json'), '{"not": "a report"}');
    w = await startDashboardWorld({ reportsDir: join(dir, 'reports'), uiDir: join(dir, 'ui') });
  });

  after(async () => {
    await w?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const call = (path: string, init: { method?: string; key?: string; cookie?: string; ui?: boolean; body?: unknown } = {}) =>
    fetch(`${w.base}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
        ...(init.cookie ? { cookie: init.cookie } : {}),
        ...(init.ui ? { 'x-praetor-ui': '1' } : {}),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      redirect: 'manual',
    });

  async function loginCookie(key: string): Promise<string> {
    const res = await call('/ui/login', { method: 'POST', ui: true, body: { key } });
    assert.equal(res.status, 200);
    const set = res.headers.get('set-cookie') ?? '';
    assert.match(set, /^praetor_ui=[A-Za-z0-9_-]{43};/);
    for (const attr of ['HttpOnly', 'SameSite=Strict', 'Path=/']) assert.ok(set.includes(attr), `${attr} in ${set}`);
    assert.ok(!set.includes(key.slice(20)), 'the cookie is not the key');
    return set.split(';')[0] ?? '';
  }

  it('logs in to a session cookie that stands for the key until logout or revocation', async () => {
    const { token, principal } = w.key('sandboxes');
    assert.equal((await call('/ui/login', { method: 'POST', body: { key: token } })).status, 403, 'no dashboard header');
    // another last character (a fixed 'A' was the same key once in 64 tokens)
    const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    assert.equal((await call('/ui/login', { method: 'POST', ui: true, body: { key: wrong } })).status, 401);
    const cookie = await loginCookie(token);
    const me = await call('/v1/me', { cookie });
    assert.deepEqual(await me.json(), { keyId: principal.keyId, name: principal.name, scope: 'sandboxes' });
    const made = await call('/v1/sandboxes', { method: 'POST', cookie, ui: true, body: {} });
    assert.equal(made.status, 201);
    const id = ((await made.json()) as { id: string }).id;
    // a cross-site form could send the cookie (were it not SameSite) but never this header
    const forged = await call(`/v1/sandboxes/${id}`, { method: 'DELETE', cookie });
    assert.equal(forged.status, 403);
    assert.equal((await call(`/v1/sandboxes/${id}`, { cookie })).status, 200, 'the forged request changed nothing');
    assert.equal((await call(`/v1/sandboxes/${id}`, { method: 'DELETE', cookie, ui: true })).status, 204);
    assert.equal((await call('/ui/logout', { method: 'POST', cookie })).status, 204);
    assert.equal((await call('/v1/me', { cookie })).status, 401);
    const again = await loginCookie(token);
    w.keys.revoke(principal.keyId);
    assert.equal((await call('/v1/me', { cookie: again })).status, 401, 'a revoked key ends its sessions');
  });

  it('serves /ui with a same-origin-only CSP', async () => {
    assert.equal((await call('/ui')).status, 302);
    const page = await call('/ui/');
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) assert.ok(csp.includes(d), `${d} in ${csp}`);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal((await call('/ui/../keys.db')).status, 404);
  });

  it('read keys see every key\'s sandboxes and alerts; other keys only their own; filters apply', async () => {
    const a = w.key('sandboxes');
    const b = w.key('sandboxes');
    const reader = w.key('read');
    const mine = await w.sandboxes.create(a.principal, {} as never);
    w.alert(mine.id, 1, 0);
    w.alert(mine.id, 2, 1);
    const ids = async (key: string, query = '') => ((await (await call(`/v1/alerts${query}`, { key })).json()) as { alerts: { sandbox: string; data: { technique: string } }[] }).alerts.filter((e) => e.sandbox === mine.id);
    assert.equal((await ids(a.token)).length, 2);
    assert.equal((await ids(b.token)).length, 0, "another key does not see a's alerts");
    assert.equal((await ids(reader.token)).length, 2, 'a read key sees them');
    assert.deepEqual((await ids(reader.token, '?technique=T1572')).map((e) => e.data.technique), ['T1572']);
    const counts = (await (await call('/v1/alerts', { key: a.token })).json()) as { counts: { byTechnique: Record<string, number> } };
    assert.equal(counts.counts.byTechnique.T1496, 1);
    assert.equal((await call(`/v1/sandboxes/${mine.id}`, { key: reader.token })).status, 200);
    assert.equal((await call(`/v1/sandboxes/${mine.id}`, { key: b.token })).status, 404);
    assert.equal((await call(`/v1/sandboxes/${mine.id}`, { method: 'DELETE', key: reader.token })).status, 403);
    assert.equal((await call('/v1/alerts?severity=bogus', { key: a.token })).status, 400);
  });

  it('keeps resource samples, network decisions and steps per sandbox', async () => {
    const a = w.key('sandboxes');
    const s = await w.sandboxes.create(a.principal, {} as never);
    const t = Date.now();
    w.bus.publish({ kind: 'step-start', sandboxId: s.id, step: 1, time: t, argv: ['bash', '-c', 'curl x'], exitCode: null });
    w.bus.publish({ kind: 'resource-sample', sandboxId: s.id, step: null, time: t, scope: 'sandbox', cpuSeconds: 1, cpuCores: 0.5, intervalMs: 1000, memoryBytes: 1e6, pids: 2, stepRunning: null });
    w.bus.publish({ kind: 'resource-sample', sandboxId: s.id, step: 1, time: t, scope: 'step', cpuSeconds: 1, cpuCores: 0.5, intervalMs: 1000, memoryBytes: 1e6, pids: 2, stepRunning: true });
    w.bus.publish({ kind: 'network-denied', sandboxId: s.id, step: 1, time: t, protocol: 'tcp', dstAddress: '10.0.0.1', dstPort: 22 });
    w.bus.publish({ kind: 'step-end', sandboxId: s.id, step: 1, time: t + 5, argv: [], exitCode: 7 });
    const res = await call(`/v1/sandboxes/${s.id}/telemetry`, { key: a.token });
    const body = (await res.json()) as { samples: unknown[]; network: { denied: number; recent: { target: string }[] }; steps: { exitCode: number }[] };
    assert.equal(body.samples.length, 1, 'sandbox samples only, not the step\'s');
    assert.equal(body.network.denied, 1);
    assert.equal(body.network.recent[0]?.target, '10.0.0.1:22');
    assert.equal(body.steps[0]?.exitCode, 7);
    assert.equal((await call(`/v1/sandboxes/${s.id}/telemetry`, { key: w.key('sandboxes').token })).status, 404);
  });

  it('lists red-team reports for admin and read keys, skipping what does not parse', async () => {
    const reader = w.key('read').token;
    const list = (await (await call('/v1/redteam/reports', { key: reader })).json()) as { reports: { id: string }[] };
    assert.deepEqual(list.reports.map((r) => r.id), ['run-2', 'run-1']);
    assert.equal((await call('/v1/redteam/reports/run-2', { key: reader })).status, 200);
    assert.equal((await call('/v1/redteam/reports/broken', { key: reader })).status, 404);
    assert.equal((await call('/v1/redteam/reports/..', { key: reader })).status, 404);
    assert.equal((await call('/v1/redteam/reports', { key: w.key('envs').token })).status, 403);
  });

  it('documents the new routes in /openapi.json', async () => {
    const doc = (await (await call('/openapi.json')).json()) as { paths: Record<string, unknown> };
    for (const p of ['/v1/me', '/v1/alerts', '/v1/sandboxes/{id}/telemetry', '/v1/telemetry/latest', '/v1/redteam/reports', '/v1/redteam/reports/{id}', '/ui/login', '/ui/logout']) {
      assert.ok(p in doc.paths, `${p} in the OpenAPI document`);
    }
  });
});

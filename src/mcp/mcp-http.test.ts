// praetord's /mcp (streamable HTTP) as the SDK's client sees it, against a real daemon (root only):
// the API's keys and scopes, a key's own sandboxes and sessions only, exec as a step with the
// miner's alert, JSON-RPC errors for bad input, and the session's sandboxes destroyed at its end.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { DaemonProcess } from '../service/testing/daemon-process.js';
import { MINER } from '../testing/miner-test-kit.js';
import { callTool as call, MCP_TOOLS as TOOLS, MINER_ARGS } from '../testing/mcp-kit.js';


interface Connected {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
}


const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } } };
const MCP_HEADERS = { accept: 'application/json, text/event-stream' };

describe('praetord /mcp over streamable HTTP, with the SDK client', () => {
  let d: DaemonProcess;
  let keyA: string;
  let keyB: string;
  let reader: string;
  const open: Connected[] = [];

  const connect = async (key: string): Promise<Connected> => {
    const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${d.port}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } });
    const client = new Client({ name: 'praetor-test', version: '0.0.0' });
    await client.connect(transport);
    open.push({ client, transport });
    return { client, transport };
  };

  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
    d = await DaemonProcess.start(['--pool', '0', '--guard', 'block']);
    [keyA, keyB, reader] = [await d.createKey('sandboxes'), await d.createKey('sandboxes'), await d.createKey('read')];
  });

  after(async () => {
    for (const c of open) await c.client.close().catch(() => undefined);
    if (d) await d.stop('SIGTERM');
  });

  it('401 without a key or with a bad one; the SDK client can not connect', async () => {
    assert.equal((await d.call('POST', '/mcp', { body: INITIALIZE, headers: MCP_HEADERS })).status, 401);
    const bad = await d.call('POST', '/mcp', { body: INITIALIZE, headers: MCP_HEADERS, key: 'pk_nope' });
    assert.equal(bad.status, 401);
    assert.equal(bad.json.error?.code, 'unauthorized');
    const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${d.port}/mcp`));
    await assert.rejects(new Client({ name: 't', version: '0' }).connect(transport));
  });

  it('lists the tools; exec, write_file and read_file work as for stdio', async () => {
    const { client } = await connect(keyA);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), TOOLS);
    const echo = await call(client, 'exec', { command: 'echo hi' });
    assert.equal(echo.data.stdout, 'hi\n');
    assert.equal(echo.data.exitCode, 0);
    await call(client, 'write_file', { path: 'x.txt', content: 'round trip' });
    assert.equal((await call(client, 'read_file', { path: 'x.txt' })).data.content, 'round trip');
    // the same key sees the sandbox over the REST API too
    assert.equal((await d.call('GET', `/v1/sandboxes/${String(echo.data.sandbox)}`, { key: keyA })).status, 200);
  });

  it('an exec that starts a miner (written with write_file) returns the alert in the tool result', async () => {
    const { client } = await connect(keyA);
    const made = await call(client, 'sandbox_create', {});
    const id = (made.data.sandbox as { id: string }).id;
    const up = await call(client, 'write_file', { sandbox: id, path: '/tmp/m', content: readFileSync(MINER).toString('base64'), encoding: 'base64' });
    assert.equal(up.isError, false, up.text);
    const run = await call(client, 'exec', { sandbox: id, command: ['sh', '-c', `chmod +x /tmp/m && exec /tmp/m ${MINER_ARGS.join(' ')}`] });
    const alerts = run.data.alerts as { ruleId: string; technique: string; step: number }[];
    const pool = alerts.find((a) => a.ruleId === 'miner-pool-url');
    assert.ok(pool, JSON.stringify(alerts.map((a) => a.ruleId)));
    assert.equal(pool.technique, 'T1496');
    assert.equal(pool.step, run.data.step);
    assert.ok((run.data.actions as { action: string }[]).some((a) => a.action === 'kill-tree'));
  });

  it("a key sees only its own sandboxes and sessions; a read key sees them all and may not exec or destroy", async () => {
    const a = await connect(keyA);
    const mine = await call(a.client, 'exec', { command: 'true' });
    const id = String(mine.data.sandbox);
    const b = await connect(keyB);
    assert.equal((await call(b.client, 'exec', { sandbox: id, command: 'true' })).text, `not-found: no sandbox ${id}`);
    assert.equal((await call(b.client, 'list_alerts', { sandbox: id })).text, `not-found: no sandbox ${id}`);
    assert.ok(!(await call(b.client, 'sandbox_list')).text.includes(id));
    const r = await connect(reader);
    assert.equal((await call(r.client, 'exec', { command: 'true' })).text, 'forbidden: a key with scope "read" may not change sandboxes');
    // a read key sees every key's objects (as on the dashboard) and changes none
    const seen = await call(r.client, 'list_alerts', { sandbox: id });
    assert.equal(seen.isError, false, seen.text);
    assert.equal(seen.data.sandbox, id);
    assert.equal((await call(r.client, 'sandbox_destroy', { sandbox: id })).text, 'forbidden: a key with scope "read" may not change sandboxes');
    // A's session id with B's key: as if it did not exist
    const stolen = await d.call('POST', '/mcp', {
      key: keyB,
      headers: { ...MCP_HEADERS, 'mcp-session-id': a.transport.sessionId ?? '', 'mcp-protocol-version': '2025-06-18' },
      body: { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'exec', arguments: { command: 'id' } } },
    });
    assert.equal(stolen.status, 404);
    assert.equal((stolen.json as { error?: { code: unknown } }).error?.code, -32001);
  });

  it('bad input gets a JSON-RPC error (never a stack trace)', async () => {
    const garbage = await d.call('POST', '/mcp', { key: keyA, headers: { ...MCP_HEADERS, 'content-type': 'application/json' }, raw: '{not json' });
    assert.equal(garbage.status, 400);
    assert.equal((garbage.json as { error?: { code: unknown } }).error?.code, -32700);
    const notInit = await d.call('POST', '/mcp', { key: keyA, headers: MCP_HEADERS, body: { jsonrpc: '2.0', id: 1, method: 'tools/list' } });
    assert.equal(notInit.status, 400);
    assert.equal(typeof (notInit.json as { error?: { code: unknown } }).error?.code, 'number');
    const noSession = await d.call('GET', '/mcp', { key: keyA, headers: { accept: 'text/event-stream' } });
    assert.equal(noSession.status, 400);
    for (const r of [garbage, notInit, noSession]) assert.doesNotMatch(r.body.toString(), /\n\s+at /);
  });

  it('ending the session (DELETE /mcp) destroys the sandboxes it made, not the others of its key', async () => {
    const { client, transport } = await connect(keyA);
    const made = [(await call(client, 'sandbox_create', {})).data.sandbox, (await call(client, 'sandbox_create', {})).data.sandbox].map((s) => (s as { id: string }).id);
    const other = await d.call('POST', '/v1/sandboxes', { key: keyA, body: {} });
    const otherId = String(other.json.id);
    for (const id of made) assert.equal(existsSync(`/run/praetor/sandboxes/${id}.json`), true);
    await transport.terminateSession();
    for (const id of made) {
      assert.equal((await d.call('GET', `/v1/sandboxes/${id}`, { key: keyA })).status, 404, `${id} is gone from the API`);
      assert.equal(existsSync(`/run/praetor/sandboxes/${id}.json`), false, `${id} left behind`);
    }
    assert.equal((await d.call('GET', `/v1/sandboxes/${otherId}`, { key: keyA })).status, 200, 'a sandbox made over the API stays');
    assert.match(d.stdout, /"msg":"mcp session ended"/);
  });
});

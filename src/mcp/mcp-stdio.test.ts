// `praetor mcp` over stdio as an MCP client sees it (the SDK's Client spawning the real command),
// root only like every test that makes sandboxes: tools, exec as a step with its alerts, files,
// a miner's alert in the tool result, bad input, and nothing left behind when the session ends.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI } from '../service/testing/daemon-process.js';
import { MINER } from '../testing/miner-test-kit.js';
import { callTool as call, MCP_TOOLS as TOOLS, MINER_ARGS } from '../testing/mcp-kit.js';

interface AlertData {
  ruleId: string;
  technique: string;
  severity: string;
  step: number;
  evidence: unknown[];
}


const recordOf = (id: string): string => `/run/praetor/sandboxes/${id}.json`;


describe('praetor mcp over stdio, with the SDK client', () => {
  let dir: string;
  let client: Client;
  let transport: StdioClientTransport;
  let stderr = '';
  const seen = new Set<string>();

  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
    dir = mkdtempSync(join(tmpdir(), 'praetor-mcp-'));
    copyFileSync(MINER, join(dir, 'miner'));
    chmodSync(join(dir, 'miner'), 0o755);
    transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--workspace', dir, '--guard', 'block'], stderr: 'pipe' });
    transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    client = new Client({ name: 'praetor-test', version: '0.0.0' });
    await client.connect(transport);
  });

  after(async () => {
    await client?.close().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the tools, each with an input schema', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), TOOLS);
    const exec = tools.find((t) => t.name === 'exec');
    assert.ok(exec?.inputSchema.properties?.command, 'exec takes a command');
    assert.deepEqual(exec.inputSchema.required, ['command']);
  });

  it('exec runs a command as a step in the current sandbox (made with the --workspace copy)', async () => {
    const { data, isError } = await call(client, 'exec', { command: 'echo hello; ls' });
    assert.equal(isError, false);
    seen.add(String(data.sandbox));
    assert.match(String(data.sandbox), /^sb-/);
    assert.equal(data.stdout, 'hello\nminer\n');
    assert.equal(data.exitCode, 0);
    assert.equal(typeof data.step, 'number');
    assert.deepEqual(data.alerts, []);
    const second = await call(client, 'exec', { command: ['sh', '-c', 'exit 3'] });
    assert.equal(second.data.sandbox, data.sandbox, 'the same sandbox without naming it');
    assert.equal(second.data.exitCode, 3);
    assert.equal(second.data.step, Number(data.step) + 1);
  });

  it('write_file and read_file round-trip text and binary, each as a step; list_files lists', async () => {
    const w = await call(client, 'write_file', { path: 'notes/a.txt', content: 'über\n' });
    assert.equal(w.isError, false, w.text);
    assert.equal(w.data.path, '/workspace/notes/a.txt');
    assert.equal(typeof w.data.step, 'number');
    const r = await call(client, 'read_file', { path: '/workspace/notes/a.txt' });
    assert.equal(r.data.content, 'über\n');
    assert.equal(r.data.step, Number(w.data.step) + 1);
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10]);
    await call(client, 'write_file', { path: '/tmp/b.bin', content: bytes.toString('base64'), encoding: 'base64' });
    const rb = await call(client, 'read_file', { path: '/tmp/b.bin', encoding: 'base64' });
    assert.deepEqual(Buffer.from(String(rb.data.content), 'base64'), bytes);
    const list = await call(client, 'list_files', { path: 'notes' });
    assert.deepEqual(list.data.entries, [{ name: 'a.txt', type: 'file', size: 6 }]);
    const missing = await call(client, 'read_file', { path: 'nope.txt' });
    assert.equal(missing.isError, true);
    assert.equal(missing.text, 'not-found: /workspace/nope.txt: no such file or directory');
  });

  it('an exec that starts a miner returns the alert (rule, technique, severity, step, evidence) and the guard action', async () => {
    const { data } = await call(client, 'exec', { command: ['./miner', ...MINER_ARGS] });
    const alerts = data.alerts as AlertData[];
    const pool = alerts.find((a) => a.ruleId === 'miner-pool-url');
    assert.ok(pool, `miner-pool-url in ${alerts.map((a) => a.ruleId).join(', ')}`);
    assert.equal(pool.technique, 'T1496');
    assert.equal(pool.severity, 'critical');
    assert.equal(pool.step, data.step, 'the alert names the step that ran the miner');
    assert.ok(pool.evidence.length > 0);
    const actions = data.actions as { action: string; ok: boolean }[];
    assert.ok(actions.some((a) => a.action === 'kill-tree' && a.ok), `guard block kills the tree: ${JSON.stringify(actions)}`);
    const listed = await call(client, 'list_alerts', { step: Number(data.step) });
    assert.deepEqual(
      (listed.data.alerts as AlertData[]).map((a) => a.ruleId),
      alerts.map((a) => a.ruleId),
    );
  });

  it('bad input is a one-line tool error with its code, never a stack trace', async () => {
    const bad = await call(client, 'exec', { command: 42 });
    assert.equal(bad.isError, true);
    assert.match(bad.text, /^MCP error -32602: Input validation error: Invalid arguments for tool exec: .*command/);
    const other = await call(client, 'exec', { sandbox: 'sb-nope', command: 'true' });
    assert.equal(other.text, 'not-found: no sandbox sb-nope');
    const outside = await call(client, 'read_file', { path: '/etc/passwd' });
    assert.equal(outside.text, 'invalid-path: path: /etc/passwd is outside /workspace and /tmp');
    for (const r of [bad, other, outside]) assert.doesNotMatch(r.text, /\n\s+at /);
  });

  it('sandbox_destroy destroys; ending the session destroys every sandbox it made', async () => {
    const made = await call(client, 'sandbox_create', { guardMode: 'monitor', allowDomains: ['example.com'] });
    const view = made.data.sandbox as { id: string; options: { guardMode: string; allowDomains: string[] } };
    assert.equal(view.options.guardMode, 'monitor');
    assert.deepEqual(view.options.allowDomains, ['example.com']);
    const gone = await call(client, 'sandbox_destroy', { sandbox: view.id });
    assert.equal(gone.data.destroyed, view.id);
    assert.equal(existsSync(recordOf(view.id)), false);
    const kept = await call(client, 'sandbox_create', {});
    const keptId = (kept.data.sandbox as { id: string }).id;
    await call(client, 'exec', { command: 'sleep 300 >/dev/null 2>&1 & echo started' });
    seen.add(keptId);
    for (const id of seen) assert.equal(existsSync(recordOf(id)), true, `${id} is alive before the end`);
    const pid = transport.pid;
    assert.ok(pid !== null);
    const exited = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (!existsSync(`/proc/${pid}`)) {
          clearInterval(poll);
          resolve();
        }
      }, 50);
    });
    const started = Date.now();
    await client.close();
    await exited;
    console.log(`# praetor mcp ended ${Date.now() - started} ms after stdin closed`);
    for (const id of seen) assert.equal(existsSync(recordOf(id)), false, `${id} left behind`);
    assert.match(stderr, /"msg":"mcp: session ended; its sandboxes are destroyed"/);
  });
});

describe('praetor mcp stdout', () => {
  it('carries only JSON-RPC: a line that is not JSON gets a parse error, logs go to stderr', async () => {
    if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
    const child = spawn(process.execPath, [CLI, 'mcp'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const send = (m: unknown): boolean => child.stdin.write(`${typeof m === 'string' ? m : JSON.stringify(m)}\n`);
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send('this is not json');
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    send({ jsonrpc: '2.0', id: 3, method: 'no/such/method' });
    const deadline = Date.now() + 30_000;
    while (!out.includes('"id":3') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, err);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { jsonrpc: string; id: unknown; error?: { code: number } });
    assert.ok(lines.every((l) => l.jsonrpc === '2.0'), out);
    assert.deepEqual(lines.find((l) => l.id === null)?.error?.code, -32700);
    assert.equal(lines.find((l) => l.id === 3)?.error?.code, -32601);
    assert.ok(lines.some((l) => l.id === 2 && !l.error));
    assert.match(err, /"msg":"mcp: serving on stdio"/);
  });
});

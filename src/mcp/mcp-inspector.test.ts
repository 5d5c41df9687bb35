// The MCP inspector's CLI mode (@modelcontextprotocol/inspector, a devDependency, run through npx
// without installing anything) against `praetor mcp` over stdio: it lists praetor's tools, and its
// exec of a miner returns the alert. Each inspector call is one MCP session in a fresh process, so
// the miner comes in through --workspace. Root only, like every test that makes sandboxes.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from '../service/testing/daemon-process.js';
import { MINER } from '../testing/miner-test-kit.js';
import { MCP_TOOLS, MINER_ARGS } from '../testing/mcp-kit.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function inspector(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // --no: use the project's copy, never download one
    const child = spawn('npx', ['--no', '--', '@modelcontextprotocol/inspector', '--cli', process.execPath, CLI, 'mcp', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the MCP inspector CLI against praetor mcp', () => {
  let dir: string;

  before(() => {
    if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
    dir = mkdtempSync(join(tmpdir(), 'praetor-inspector-'));
    copyFileSync(MINER, join(dir, 'miner'));
    chmodSync(join(dir, 'miner'), 0o755);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("lists praetor's tools (--method tools/list)", async () => {
    const out = await inspector(['--method', 'tools/list']);
    assert.equal(out.code, 0, out.stderr);
    const { tools } = JSON.parse(out.stdout) as { tools: { name: string }[] };
    assert.deepEqual(tools.map((t) => t.name).sort(), MCP_TOOLS);
  });

  it('calls exec of a miner (--method tools/call --tool-name exec) and gets the alert in the tool result', async () => {
    const command = ['./miner', ...MINER_ARGS].join(' ');
    const out = await inspector(['--workspace', dir, '--method', 'tools/call', '--tool-name', 'exec', '--tool-arg', `command=${command}`]);
    assert.equal(out.code, 0, out.stderr);
    const result = JSON.parse(out.stdout) as { isError?: boolean; structuredContent: { step: number; alerts: { ruleId: string; technique: string; step: number }[] }; content: { text: string }[] };
    assert.notEqual(result.isError, true, out.stdout);
    const { step, alerts } = result.structuredContent;
    const pool = alerts.find((a) => a.ruleId === 'miner-pool-url');
    assert.ok(pool, `miner-pool-url in ${alerts.map((a) => a.ruleId).join(', ')}`);
    assert.deepEqual([pool.technique, pool.step], ['T1496', step]);
    assert.match(result.content[0]?.text ?? '', /"ruleId": "miner-pool-url"/, 'the text content names the alert too');
  });
});

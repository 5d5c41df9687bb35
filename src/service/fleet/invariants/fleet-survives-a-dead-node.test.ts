// Acceptance of the fleet (needs root): PostgreSQL, three node daemons each running in its own
// network namespace (hosts on one test bridge; testing/fleet-world.ts), two fronts. Through the Python and TS clients: 60 sandboxes spread
// over the nodes, an exec in each through either front, alerts from every node in one event
// stream; then one node killed with SIGKILL: within the heartbeat timeout its sandboxes are
// reported lost, its episodes end aborted with their stored steps, and 20 new sandboxes all land
// on the other two. Prints how long each phase took.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Praetor } from '../../../client/praetor.js';
import type { PraetorEvent } from '../../../client/types.js';
import { startFleetWorld, type FleetWorld } from '../../../testing/fleet-world.js';

const execFileAsync = promisify(execFile);
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const PYTHON_SRC = join(fileURLToPath(new URL('../../../../', import.meta.url)), 'clients/python/src');
const HEARTBEAT_TIMEOUT_S = 3;

// Creates 30 sandboxes through front A and runs one exec in each there; prints {id: node}.
const PYTHON_SCRIPT = `
import json, os, sys
from praetor import Praetor
with Praetor(host=os.environ["FRONT"], api_key=os.environ["KEY"]) as p:
    out = {}
    for i in range(30):
        sb = p.sandboxes.create()
        r = sb.exec(["sh", "-c", "echo py-$0", sb.id])
        assert r.exit_code == 0 and r.stdout.strip() == "py-" + sb.id, (r.exit_code, r.stdout)
        out[sb.id] = sb.refresh()["node"]
    print(json.dumps(out))
`;

let world: FleetWorld;
const t0 = Date.now();
const phase = (name: string, since: number): void => console.log(`# fleet: ${name}: ${((Date.now() - since) / 1000).toFixed(1)} s`);

before(async () => {
  world = await startFleetWorld({ nodes: 3, fronts: 2, slots: 40, heartbeatTimeoutS: HEARTBEAT_TIMEOUT_S });
  phase('PostgreSQL, 3 nodes and 2 fronts up', t0);
});
after(async () => {
  for (const n of world?.nodes ?? []) console.log(`# fleet: ${n.id} stderr: ${n.daemon.stderr().trim().split('\n').slice(-3).join(' | ')}`);
  await world?.close();
  phase('whole test', t0);
});

const countBy = (nodes: Iterable<string>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const n of nodes) out[n] = (out[n] ?? 0) + 1;
  return out;
};

describe('a fleet of three nodes behind two fronts', { timeout: 480_000 }, () => {
  it('spreads, routes, merges events, and survives a node killed with SIGKILL', async (t) => {
    const [frontA, frontB] = world.fronts as [string, string];
    const a = new Praetor({ host: frontA, apiKey: world.adminKey });
    const b = new Praetor({ host: frontB, apiKey: world.adminKey });
    const nodeIds = world.nodes.map((n) => n.id);

    // alerts from every node, in one stream through front B, open before anything runs
    const alerts: PraetorEvent[] = [];
    const abort = new AbortController();
    t.after(() => abort.abort());
    const following = (async () => {
      try {
        for await (const e of b.events({ types: ['alert', 'sandbox'], signal: abort.signal })) alerts.push(e);
      } catch (err) {
        if (!abort.signal.aborted) throw err;
      }
    })();

    let since = Date.now();
    const [py, ts] = await Promise.all([
      execFileAsync(PYTHON, ['-c', PYTHON_SCRIPT], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONPATH: PYTHON_SRC, PYTHONDONTWRITEBYTECODE: '1', FRONT: frontA, KEY: world.adminKey }, timeout: 300_000 }),
      (async () => {
        const out: Record<string, string> = {};
        for (let i = 0; i < 30; i++) {
          const sb = await b.sandboxes.create({ guardMode: 'monitor' });
          out[sb.id] = String((sb.record as unknown as { node: string }).node);
        }
        return out;
      })(),
    ]);
    const placed: Record<string, string> = { ...(JSON.parse(py.stdout) as Record<string, string>), ...ts };
    phase('60 creates (30 Python via front A, 30 TS via front B)', since);
    assert.equal(Object.keys(placed).length, 60);
    const spread = countBy(Object.values(placed));
    console.log(`# fleet: spread ${JSON.stringify(spread)}`);
    for (const id of nodeIds) assert.ok((spread[id] ?? 0) >= 10, `node ${id} got ${spread[id] ?? 0} of 60: ${JSON.stringify(spread)}`);

    // every sandbox answers through both fronts; the listing (either front) has all 60 with their node
    since = Date.now();
    await Promise.all(
      Object.keys(placed).map(async (id, i) => {
        const via = i % 2 === 0 ? a : b;
        const r = await via.sandboxes.exec(id, ['sh', '-c', 'echo ts-$0', id]);
        assert.equal(r.stdout.trim(), `ts-${id}`);
      }),
    );
    phase('60 execs through both fronts', since);
    const listed = await a.sandboxes.list();
    assert.deepEqual(new Set(listed.map((s) => s.id)), new Set(Object.keys(placed)));
    for (const s of listed) assert.equal((s as unknown as { node: string }).node, placed[s.id]);

    // one sandbox per node reads a private key (the guard's process monitor), asks the egress
    // proxy for a host off its allowlist (the proxy) and connects straight to another host on the
    // nodes' LAN (the cell's firewall and its nflog reader): one stream shows all three on every node
    const tsIds = Object.keys(ts);
    const perNode = nodeIds.map((n) => tsIds.find((id) => placed[id] === n));
    assert.ok(perNode.every((id) => id !== undefined), 'a TS sandbox on every node');
    const probe = `mkdir -p ~/.ssh && echo k > ~/.ssh/id_rsa && cat ~/.ssh/id_rsa >/dev/null; wget -q -T 2 -O- http://off-list.invalid/ ; nc -w 1 ${world.hostAddress} 9 </dev/null; true`;
    await Promise.all(perNode.map((id) => a.sandboxes.exec(id, probe)));
    const RULES = ['ssh-private-key-read', 'egress-denied-proxy', 'egress-refused'];
    const alertNodes = (rule: string): Set<string> =>
      new Set(alerts.filter((e) => e.type === 'alert' && (e.data as { ruleId?: string }).ruleId === rule).map((e) => String((e as unknown as { node: string }).node)));
    for (let i = 0; i < 100 && RULES.some((r) => alertNodes(r).size < 3); i++) await new Promise((r) => setTimeout(r, 100));
    for (const rule of RULES) assert.deepEqual([...alertNodes(rule)].sort(), [...nodeIds].sort(), `${rule} alerts from all three nodes in one stream`);

    // episodes: one environment per node, two steps stored in each
    const envIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const env = await b.envs.create({ id: `fleet-${i}`, instruction: 'count', verifier: 'true' });
      await env.reset();
      await env.step({ id: 'c1', name: 'bash', arguments: { command: 'echo one' } });
      await env.step({ id: 'c2', name: 'bash', arguments: { command: 'echo two' } });
      envIds.push(env.id);
    }
    const envNode = (id: string): string => world.pg.psql('postgres', `SELECT node_id FROM fleet_sandboxes WHERE id = '${id}'`).trim();

    // kill -9 one node
    const victim = world.nodes[0];
    assert.ok(victim);
    const victimSandboxes = Object.keys(placed).filter((id) => placed[id] === victim.id);
    const victimEnvs = envIds.filter((id) => envNode(id) === victim.id);
    const killedAt = Date.now();
    process.kill(victim.daemon.pid, 'SIGKILL');
    let lostAfter = -1;
    while (Date.now() - killedAt < world.heartbeatTimeoutMs + 2000) {
      const lost = (await b.sandboxes.list()).filter((s) => (s.state as string) === 'lost').map((s) => s.id);
      if (lost.length === victimSandboxes.length) {
        lostAfter = Date.now() - killedAt;
        assert.deepEqual(new Set(lost), new Set(victimSandboxes));
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`# fleet: ${victimSandboxes.length} sandboxes of the killed node reported lost ${lostAfter} ms after kill -9 (timeout ${world.heartbeatTimeoutMs} ms)`);
    assert.ok(lostAfter >= 0 && lostAfter <= world.heartbeatTimeoutMs + 500, `lost after ${lostAfter} ms`);
    const one = victimSandboxes[0] as string;
    assert.equal((await a.sandboxes.get(one)).record.state, 'lost');
    await assert.rejects(a.sandboxes.exec(one, 'true'), /sandbox-lost|was lost/);
    const saysLost = (): boolean => alerts.some((e) => e.type === 'sandbox' && e.sandbox === one && (e.data as { state?: string }).state === 'lost');
    for (let i = 0; i < 30 && !saysLost(); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(saysLost(), 'the event stream says lost');

    // its episodes are aborted, every stored step kept; the others run on
    for (let i = 0; i < 40; i++) {
      const rows = world.pg.psql('postgres', `SELECT count(*) FROM episodes WHERE owner = '${victim.id}' AND status = 'running'`).trim();
      if (rows === '0') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const episodes = world.pg.psql('postgres', `SELECT owner, status, (SELECT count(*) FROM steps s WHERE s.episode_id = e.id) FROM episodes e ORDER BY owner`).trim().split('\n');
    console.log(`# fleet: episodes (owner|status|steps): ${episodes.join(', ')}`);
    assert.equal(victimEnvs.length > 0, episodes.some((l) => l.startsWith(`${victim.id}|`)));
    for (const line of episodes) {
      const [owner, status, steps] = line.split('|');
      assert.equal(status, owner === victim.id ? 'aborted' : 'running', line);
      assert.equal(steps, '2', line);
    }

    // the next 20 creates all land on the other two
    since = Date.now();
    const next = await Promise.all(Array.from({ length: 20 }, async (_, i) => String(((await (i % 2 ? a : b).sandboxes.create()).record as unknown as { node: string }).node)));
    phase('20 creates after the kill', since);
    assert.ok(!next.includes(victim.id), JSON.stringify(countBy(next)));
    abort.abort();
    await following;
  });
});

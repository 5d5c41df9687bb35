// The conformance suite every SandboxBackend must pass (local, the in-memory fake, Kubernetes
// later): the contract of backend.ts and observer.ts checked through the interfaces only. What a
// command means is the backend's: real backends run the POSIX probes below; the in-memory fake
// runs its own emulated programs (src/testing/fake-backend.ts).
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { ExecResult, Sandbox, SandboxBackend } from './backend.js';
import type { SandboxObserver } from './observer.js';
import { PraetorError } from '../core/errors.js';

/** The commands the suite runs, in the backend's own terms. */
export interface ConformanceProbes {
  /** Prints `out\n` on stdout and `err\n` on stderr, then exits 3. */
  readonly outErrExit3: readonly string[];
  /** Exits 0 at once. */
  readonly succeed: readonly string[];
  /** Copies stdin to stdout. */
  readonly catStdin: readonly string[];
  /** Prints `bytes` zero bytes. */
  zeros(bytes: number): readonly string[];
  /** Prints the environment, one KEY=VALUE a line. */
  readonly printEnv: readonly string[];
  /** Prints the file at `path`. */
  cat(path: string): readonly string[];
  /** Runs for `seconds`. */
  sleep(seconds: number): readonly string[];
  /**
   * Leaves a detached process tree behind and returns at once: a root whose argv processes() shows
   * as `root`, with children shown as `children`. Distinct `tag`s give distinct argvs.
   */
  daemonTree(tag: number): { readonly argv: readonly string[]; readonly root: string; readonly children: readonly string[] };
  /** Asks the egress proxy for http://blocked.invalid/ and prints the HTTP status it got. */
  readonly fetchBlocked: readonly string[];
}

/** How the probes read on any POSIX sandbox with sh, coreutils and curl. */
export const POSIX_PROBES: ConformanceProbes = {
  outErrExit3: ['sh', '-c', 'echo out; echo err >&2; exit 3'],
  succeed: ['true'],
  catStdin: ['cat'],
  zeros: (bytes) => ['sh', '-c', `head -c ${bytes} /dev/zero`],
  printEnv: ['env'],
  cat: (path) => ['cat', path],
  sleep: (seconds) => ['sleep', String(seconds)],
  daemonTree: (tag) => ({
    // `; true` keeps sh from exec'ing its last command, so the tree has a root and two children
    argv: ['sh', '-c', `(setsid sh -c "sleep ${tag}1 & sleep ${tag}2; true" &)`],
    root: `sh -c sleep ${tag}1 & sleep ${tag}2; true`,
    children: [`sleep ${tag}1`, `sleep ${tag}2`],
  }),
  fetchBlocked: ['sh', '-c', 'curl -s -o /dev/null -w "%{http_code}" http://blocked.invalid/'],
};

/** Makes a backend; the suite passes an observer when it checks the hooks. */
export type BackendMaker = (observer?: SandboxObserver) => SandboxBackend;

async function argvsOf(sandbox: Sandbox): Promise<Map<string, { pid: number; step: number | null }>> {
  return new Map((await sandbox.processes()).map((p) => [p.argv.join(' '), { pid: p.pid, step: p.step }]));
}

export function describeBackendConformance(name: string, makeBackend: BackendMaker, probes: ConformanceProbes = POSIX_PROBES): void {
  void describe(`SandboxBackend conformance: ${name}`, () => {
    const backend = makeBackend();
    after(() => backend.close());

    it('exec returns output, exit code and increasing step numbers', async () => {
      const sandbox = await backend.create();
      const a = await sandbox.exec(probes.outErrExit3);
      assert.equal(a.stdout.toString(), 'out\n');
      assert.equal(a.stderr.toString(), 'err\n');
      assert.equal(a.exitCode, 3);
      assert.equal(a.timedOut, false);
      const b = await sandbox.exec(probes.succeed);
      assert.equal(b.step, a.step + 1);
      assert.ok(b.durationMs > 0);
    });

    it('passes stdin, streams output, and caps what it keeps', async () => {
      const sandbox = await backend.create();
      const chunks: Buffer[] = [];
      const r = await sandbox.exec(probes.catStdin, { stdin: 'hello\n', onStdout: (c) => chunks.push(c) });
      assert.equal(r.stdout.toString(), 'hello\n');
      assert.equal(Buffer.concat(chunks).toString(), 'hello\n');
      const big = await sandbox.exec(probes.zeros(100000), { maxOutputBytes: 1000 });
      assert.equal(big.stdout.length, 1000);
      assert.equal(big.stdoutTruncated, true);
    });

    it('sets the environment it is given and nothing of the host', async () => {
      process.env.PRAETOR_CONFORMANCE_SECRET = 'host-secret';
      try {
        const sandbox = await backend.create({ env: { FROM_OPTIONS: 'a' } });
        const r = await sandbox.exec(probes.printEnv, { env: { FROM_EXEC: 'b' } });
        const env = r.stdout.toString();
        assert.match(env, /^FROM_OPTIONS=a$/m);
        assert.match(env, /^FROM_EXEC=b$/m);
        assert.doesNotMatch(env, /host-secret/);
      } finally {
        delete process.env.PRAETOR_CONFORMANCE_SECRET;
      }
    });

    it('writes and reads files, binary included', async () => {
      const sandbox = await backend.create();
      const data = Buffer.from([0, 1, 2, 255, 10, 13]);
      await sandbox.writeFile('/workspace/sub/dir/data.bin', data);
      assert.deepEqual(await sandbox.readFile('/workspace/sub/dir/data.bin'), data);
      await sandbox.writeFile('/tmp/note.txt', 'note');
      assert.equal((await sandbox.exec(probes.cat('/tmp/note.txt'))).stdout.toString(), 'note');
      await assert.rejects(sandbox.readFile('/workspace/missing'), PraetorError);
    });

    it('times out a command and reports it', async () => {
      const sandbox = await backend.create();
      const r = await sandbox.exec(probes.sleep(30), { timeoutMs: 200 });
      assert.equal(r.timedOut, true);
      assert.notEqual(r.exitCode, 0);
    });

    it('attributes background processes to the step that started them', async () => {
      const sandbox = await backend.create();
      await sandbox.exec(probes.succeed);
      const tree = probes.daemonTree(32);
      const r = await sandbox.exec(tree.argv);
      const procs = await treeListed(sandbox, tree);
      assert.equal(procs.get(tree.root)?.step, r.step);
      for (const child of tree.children) assert.equal(procs.get(child)?.step, r.step);
    });

    it('records a denied egress request', async () => {
      const sandbox = await backend.create();
      const r = await sandbox.exec(probes.fetchBlocked);
      assert.equal(r.stdout.toString(), '403');
      await sandbox.flushNetworkEvents();
      const denied = sandbox.networkEvents().filter((e) => e.kind === 'proxy-decision' && e.decision === 'denied');
      assert.equal(denied.length, 1);
    });

    it('lists, gets and destroys; destroy is idempotent and final', async () => {
      const sandbox = await backend.create();
      assert.ok(backend.list().some((s) => s.id === sandbox.id));
      assert.equal(backend.get(sandbox.id)?.id, sandbox.id);
      assert.equal(sandbox.isDestroyed, false);
      await sandbox.destroy();
      await sandbox.destroy();
      assert.equal(sandbox.isDestroyed, true);
      assert.equal(backend.get(sandbox.id), undefined);
      await assert.rejects(sandbox.exec(probes.succeed), (e: unknown) => e instanceof PraetorError && e.code === 'sandbox-not-found');
    });

    it('rejects invalid options with a path and a message', async () => {
      await assert.rejects(backend.create({ memory: 'lots' }), (e: unknown) => {
        return e instanceof PraetorError && e.code === 'invalid-config' && /memory: not a size/.test(e.message);
      });
      await assert.rejects(backend.create({ allowDomains: ['http://x.com/'] }), /allowDomains\[0\]/);
      await assert.rejects(backend.create({ cpus: -1 }), /cpus/);
    });

    // ---- what the guard and its enforcer rely on ----

    it('reports running steps while their exec runs, and only then', async () => {
      const sandbox = await backend.create();
      const running = sandbox.exec(probes.sleep(1));
      await waitUntil(() => sandbox.runningSteps().size === 1);
      const r = await running;
      assert.equal(sandbox.runningSteps().size, 0);
      assert.equal(r.exitCode, 0);
    });

    it('kills one step with the daemons it left, and no other step', async () => {
      const sandbox = await backend.create();
      const first = probes.daemonTree(41);
      const second = probes.daemonTree(42);
      const a = await sandbox.exec(first.argv);
      await sandbox.exec(second.argv);
      await treeListed(sandbox, first);
      await treeListed(sandbox, second);
      await sandbox.killStep(a.step);
      await waitUntil(async () => !(await argvsOf(sandbox)).has(first.root));
      const left = await argvsOf(sandbox);
      for (const child of first.children) assert.equal(left.has(child), false, `${child} survived its step's kill`);
      assert.ok(left.has(second.root), 'the other step was killed too');
    });

    it('kills a process tree and only it; a pid not its own is left alone', async () => {
      const sandbox = await backend.create();
      const tree = probes.daemonTree(51);
      await sandbox.exec(tree.argv);
      const root = (await treeListed(sandbox, tree)).get(tree.root);
      assert.ok(root, `no ${tree.root} among the processes`);
      const killed = await sandbox.killProcessTree(root.pid);
      assert.ok(killed.includes(root.pid));
      assert.equal(killed.length, 1 + tree.children.length);
      await waitUntil(async () => !(await argvsOf(sandbox)).has(tree.root));
      assert.deepEqual(await sandbox.killProcessTree(process.pid), []);
    });

    it('runs nothing while frozen, and carries on once thawed', async () => {
      const sandbox = await backend.create();
      await sandbox.setFrozen(true);
      let settled = false;
      const pending = sandbox.exec(probes.outErrExit3).finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(settled, false, 'an exec completed in a frozen sandbox');
      await sandbox.setFrozen(false);
      assert.equal((await pending).exitCode, 3);
    });

    it('gives a host view that exists, or none', async () => {
      const sandbox = await backend.create();
      const host = sandbox.watchable();
      if (host === null) return; // not on this host: a guard refuses it (guard-refuses-unwatchable-sandbox)
      assert.ok(existsSync(`/proc/${host.initPid}`), `init ${host.initPid} is not a live host process`);
      assert.ok(existsSync(host.homeDir), `home ${host.homeDir} does not exist on the host`);
    });

    it('calls the observer for each sandbox and step, and a refusal leaves no sandbox', async () => {
      const calls: string[] = [];
      let refuse = false;
      const observed = makeBackend({
        sandboxCreated: (s) => {
          calls.push(`created ${s.id}`);
          if (refuse) throw new PraetorError('policy-denied', 'refused by the test observer');
        },
        sandboxDestroyed: (id) => calls.push(`destroyed ${id}`),
        stepStarted: (id, step, argv) => calls.push(`start ${id} ${step} ${argv.length}`),
        stepEnded: (id, step, result: ExecResult) => calls.push(`end ${id} ${step} ${result.exitCode}`),
      });
      try {
        const sandbox = await observed.create();
        const r = await sandbox.exec(probes.outErrExit3);
        await sandbox.destroy();
        const id = sandbox.id;
        assert.deepEqual(calls, [`created ${id}`, `start ${id} ${r.step} ${probes.outErrExit3.length}`, `end ${id} ${r.step} 3`, `destroyed ${id}`]);
        refuse = true;
        calls.length = 0;
        await assert.rejects(observed.create(), /refused by the test observer/);
        assert.equal(observed.list().length, 0);
        assert.equal(calls.filter((c) => c.startsWith('start')).length, 0, 'a refused sandbox ran a step');
      } finally {
        await observed.close();
      }
    });
  });
}

/** The sandbox's processes once a daemon tree has started all its members (it forks after its exec returned). */
async function treeListed(sandbox: Sandbox, tree: ReturnType<ConformanceProbes['daemonTree']>): Promise<Map<string, { pid: number; step: number | null }>> {
  let procs = await argvsOf(sandbox);
  await waitUntil(async () => {
    procs = await argvsOf(sandbox);
    return [tree.root, ...tree.children].every((argv) => procs.has(argv));
  });
  return procs;
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Reads of watched files inside every sandbox on this host, as `file-open` guard events:
// praetor-fanotify holds fanotify inode marks on each sandbox's bait credentials and on its
// credential directories (home, ~/.ssh, ~/.aws, ~/.config/gcloud) and reads the reader's /proc;
// this side names the file (bait by its inode and untouched content, else a real credential by
// its path), the sandbox and step (from the reader's cgroup), once per process and file.
import type { ChildProcessByStdio } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { PraetorError } from '../../core/errors.js';
import { FailureListeners, type MonitorFailureListener, type MonitorSource } from '../../sandbox/monitor-source.js';
import { spawnHelper } from '../../sandbox/helper-process.js';
import { CREDENTIAL_DIRS, type PlantedBait } from '../../sandbox/bait.js';
import type { FileOpenEvent } from '../events.js';
import { parseLeaf } from '../process/procmon-line.js';
import { credentialLabel, parseFanotifyLine, type FanotifyLine, type FanotifyRead } from './fanotify-line.js';

/** What to watch in one sandbox. */
export interface FileWatch {
  readonly sandboxId: string;
  /** The home on the host and as the sandbox sees it. */
  readonly homeDir: string;
  readonly homeInSandbox: string;
  readonly bait: readonly PlantedBait[];
}

export interface FileMonitorOptions {
  /** The helper; defaults to $PRAETOR_FANOTIFY or native/build/praetor-fanotify. */
  readonly binaryPath?: string;
  readonly emit: (event: FileOpenEvent) => void;
  readonly onError?: (message: string) => void;
  /**
   * A process of the sandbox as the process monitor saw it start (its step, exe and argv): places a
   * reader that was gone before the helper read its /proc. None: such reads are not reported.
   */
  readonly processOf?: (sandboxId: string, pid: number) => { step: number | null; exe: string | null; argv: readonly string[] | null } | null;
}

export function defaultFanotifyPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PRAETOR_FANOTIFY ?? fileURLToPath(new URL('../../../native/build/praetor-fanotify', import.meta.url));
}

const START_TIMEOUT_MS = 10_000;
const ANSWER_TIMEOUT_MS = 5_000;
/** (pid, file) pairs already reported; forgotten all at once past this. */
const MAX_SEEN = 16_384;
/** How long a read by a reaped reader waits for the process monitor's report of its exec, once. */
const PLACE_RETRY_MS = 100;

/**
 * A bait file's content now, or null when it is gone. Read synchronously: it is a few hundred bytes,
 * and a trip through the thread pool would delay the alert more than the read takes.
 */
function readIfThere(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

type Helper = ChildProcessByStdio<Writable, Readable, Readable>;
type Answer = { ok: true; key: string } | { ok: false; err: string };

export class FileMonitor implements MonitorSource {
  readonly name = 'file-monitor';
  private child: Helper | null = null;
  private starting: Promise<void> | null = null;
  private readonly failures = new FailureListeners();
  private readonly watches = new Map<string, FileWatch>();
  /** dev:ino of each marked bait file -> its sandbox and bait. */
  private readonly baitByInode = new Map<string, { sandboxId: string; bait: PlantedBait }>();
  private readonly answers = new Map<number, (a: Answer) => void>();
  private readonly seen = new Set<string>();
  private seq = 0;
  private overrunCount = 0;

  constructor(private readonly opts: FileMonitorOptions) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Times the kernel's queue overflowed (reads lost). */
  get overruns(): number {
    return this.overrunCount;
  }

  /** Resolves once the helper runs and every sandbox watched so far is marked again. */
  start(): Promise<void> {
    this.starting ??= this.launch().catch((err: unknown) => {
      this.starting = null;
      throw err;
    });
    return this.starting;
  }

  onFailure(listener: MonitorFailureListener): () => void {
    return this.failures.add(listener);
  }

  stop(): void {
    const child = this.child;
    this.child = null;
    this.starting = null;
    this.failAnswers('the file monitor was stopped');
    child?.kill('SIGTERM');
  }

  /** Marks a sandbox's bait and credential directories; resolves once every read of them is seen. */
  async watch(w: FileWatch): Promise<void> {
    this.watches.set(w.sandboxId, w);
    // a restart under way marks every watch it finds, this one included
    if (this.child === null && this.starting !== null) return this.starting;
    if (this.child === null) throw new PraetorError('internal', 'the file monitor is not running');
    await this.markAll(w);
  }

  /** The sandbox is gone: its marks went with its files. */
  unwatch(sandboxId: string): void {
    this.watches.delete(sandboxId);
    for (const [key, b] of this.baitByInode) if (b.sandboxId === sandboxId) this.baitByInode.delete(key);
  }

  /** Resolves once every read the kernel had queued before the call was emitted. */
  async flush(): Promise<void> {
    await this.ask((tag) => `sync ${tag}`);
  }

  private async markAll(w: FileWatch): Promise<void> {
    for (const b of w.bait) {
      const answer = await this.ask((tag) => `mark ${tag} file ${b.hostPath}`);
      // a task may delete its bait (a restart then finds it gone): nothing is left to read
      if (!answer.ok && /No such file/.test(answer.err)) continue;
      if (!answer.ok) throw new PraetorError('host-unsupported', `can not watch bait ${b.hostPath}: ${answer.err}`);
      this.baitByInode.set(answer.key, { sandboxId: w.sandboxId, bait: b });
    }
    for (const dir of ['', ...CREDENTIAL_DIRS]) {
      const path = dir === '' ? w.homeDir : `${w.homeDir}/${dir}`;
      if (!existsSync(path)) continue;
      const answer = await this.ask((tag) => `mark ${tag} dir ${path}`);
      if (!answer.ok && !/No such file|Not a directory/.test(answer.err)) {
        throw new PraetorError('host-unsupported', `can not watch ${path}: ${answer.err}`);
      }
    }
  }

  private ask(command: (tag: number) => string): Promise<Answer> {
    const child = this.child;
    if (child === null) return Promise.reject(new PraetorError('internal', 'the file monitor is not running'));
    const tag = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.answers.delete(tag);
        reject(new PraetorError('internal', `praetor-fanotify did not answer within ${ANSWER_TIMEOUT_MS} ms`));
      }, ANSWER_TIMEOUT_MS);
      this.answers.set(tag, (a) => {
        clearTimeout(timer);
        this.answers.delete(tag);
        if (!a.ok && a.err === '\0stopped') reject(new PraetorError('internal', 'the file monitor stopped'));
        else resolve(a);
      });
      child.stdin.write(`${command(tag)}\n`);
    });
  }

  private failAnswers(_why: string): void {
    for (const answer of [...this.answers.values()]) answer({ ok: false, err: '\0stopped' });
  }

  private async launch(): Promise<void> {
    const path = this.opts.binaryPath ?? defaultFanotifyPath();
    if (!existsSync(path)) {
      throw new PraetorError('host-unsupported', `file monitor helper not found at ${path}: run \`npm run build\` (it needs a C compiler)`);
    }
    await this.spawn(path);
    // a new helper is a new fanotify group: every sandbox is marked again before it counts as seeing
    this.baitByInode.clear();
    try {
      for (const w of [...this.watches.values()]) await this.markAll(w);
    } catch (err) {
      // not seeing: this helper goes, and the next start begins afresh
      const child = this.child;
      this.child = null;
      child?.kill('SIGKILL');
      throw err;
    }
  }

  private spawn(path: string): Promise<void> {
    const child = spawnHelper(path, []);
    this.child = child;
    return new Promise((resolve, reject) => {
      let ready = false;
      let stderr = '';
      const timer = setTimeout(() => fail(`not ready within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      const fail = (why: string): void => {
        clearTimeout(timer);
        if (this.child === child) this.child = null;
        child.kill('SIGKILL');
        reject(new PraetorError('host-unsupported', `file monitor failed to start: ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
      };
      createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (text) => {
        if (ready) this.report(`fanotify: ${text}`);
        else stderr += `${text}\n`;
      });
      createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (text) => {
        const parsed = parseFanotifyLine(text);
        if (!parsed.ok) return this.report(`fanotify: bad line (${parsed.error}): ${text.slice(0, 200)}`);
        if (parsed.line.e === 'ready' && !ready) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
        this.handle(parsed.line);
      });
      child.on('error', (err) => (ready ? this.report(`fanotify: ${err.message}`) : fail(err.message)));
      child.on('close', (code, signal) => {
        if (!ready) return fail(`exited (${code ?? signal})`);
        if (this.child !== child) return; // stopped on purpose
        this.child = null;
        this.starting = null;
        this.failAnswers('praetor-fanotify exited');
        const reason = `praetor-fanotify exited (${code ?? signal})`;
        this.report(`${reason}: file reads are unseen`);
        this.failures.emit({ monitor: this.name, reason, time: Date.now(), sandboxIds: null });
      });
    });
  }

  private handle(line: FanotifyLine): void {
    switch (line.e) {
      case 'marked':
        return this.answers.get(line.tag)?.(line.ok ? { ok: true, key: `${line.dev}:${line.ino}` } : { ok: false, err: line.err });
      case 'sync':
        return this.answers.get(line.n)?.({ ok: true, key: '' });
      case 'overrun':
        this.overrunCount++;
        return this.report('file reads were lost (fanotify queue overflow)');
      case 'read':
        void this.onRead(line).catch((err: unknown) => this.report(`fanotify: ${err instanceof Error ? err.message : String(err)}`));
        return;
      case 'ready':
        return;
    }
  }

  /** The sandbox whose file was read: bait by its inode, anything else by the home it lies in. */
  private sandboxOfFile(line: FanotifyRead): FileWatch | undefined {
    const bait = this.baitByInode.get(`${line.dev}:${line.ino}`);
    if (bait !== undefined) return this.watches.get(bait.sandboxId);
    const path = line.path;
    if (path === null) return undefined;
    for (const w of this.watches.values()) if (path.startsWith(`${w.homeDir}/`)) return w;
    return undefined;
  }

  /** The reader's step, exe and argv: from its cgroup, or from the process monitor when it was already gone. */
  private async reader(line: FanotifyRead, w: FileWatch): Promise<{ step: number | null; exe: string | null; argv: readonly string[] | null } | null> {
    if (line.cg !== null) {
      const owner = parseLeaf(line.cg);
      // a reader of another sandbox's file can not exist (homes are private): dropped
      return owner === null || owner.sandboxId !== w.sandboxId ? null : { step: owner.step, exe: line.exe, argv: line.argv };
    }
    const known = this.opts.processOf?.(w.sandboxId, line.pid) ?? null;
    if (known !== null) return known;
    await new Promise((resolve) => setTimeout(resolve, PLACE_RETRY_MS));
    // unplaced, it may be a host process that read and left: not reported (no false alert)
    return this.opts.processOf?.(w.sandboxId, line.pid) ?? null;
  }

  private async onRead(line: FanotifyRead): Promise<void> {
    const w = this.sandboxOfFile(line);
    if (w === undefined) return;
    const key = `${line.dev}:${line.ino}`;
    const once = `${w.sandboxId}:${line.pid}:${key}`;
    if (this.seen.has(once)) return;
    if (this.seen.size >= MAX_SEEN) this.seen.clear();
    this.seen.add(once);
    const who = await this.reader(line, w);
    if (who === null) return;
    const base = { kind: 'file-open' as const, time: line.t, sandboxId: w.sandboxId, pid: line.pid, ...who };
    const bait = this.baitByInode.get(key);
    if (bait !== undefined && bait.sandboxId === w.sandboxId) {
      // a file the task wrote over holds the task's own data: a read of it is not a read of bait
      const now = readIfThere(bait.bait.hostPath);
      const intact = now === null || now === bait.bait.content;
      this.deliver({ ...base, path: bait.bait.sandboxPath, watch: intact ? 'bait' : 'credential', label: bait.bait.label });
      return;
    }
    const prefix = `${w.homeDir}/`;
    if (line.path === null || !line.path.startsWith(prefix)) return;
    const rel = line.path.slice(prefix.length);
    const label = credentialLabel(rel);
    if (label === null) return;
    this.deliver({ ...base, path: `${w.homeInSandbox}/${rel}`, watch: 'credential', label });
  }

  private deliver(event: FileOpenEvent): void {
    try {
      this.opts.emit(event);
    } catch (err) {
      this.report(`file event listener threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private report(message: string): void {
    this.opts.onError?.(message);
  }
}

// Persistent shell sessions: cwd, exported variables and functions survive from one command to
// the next, yet every command is a step of its own (its own cgroup), so each alert still names the
// command that caused it. A long-lived bash fed commands through a pipe would keep state for free
// but run every command in one step, losing that attribution; so each command is a fresh
// `bash -c` that restores the state the previous one saved in the sandbox's /tmp and saves it again
// on exit (a trap, so `exit 3` saves too). What does not survive: shell variables that were not
// exported, aliases, shell options, and the state of a command killed by its timeout.
import { randomBytes } from 'node:crypto';
import type { ExecOptions, ExecResult, Sandbox } from '../sandbox/backend.js';
import { ApiError } from './api-error.js';

const SESSION_SCRIPT = [
  '__praetor_sd=$1; __praetor_cmd=$2',
  'mkdir -p -- "$__praetor_sd" || exit 125',
  'if [ -f "$__praetor_sd/env" ]; then . "$__praetor_sd/env" 2>/dev/null; fi',
  'if [ -f "$__praetor_sd/fn" ]; then . "$__praetor_sd/fn" 2>/dev/null; fi',
  'if [ -f "$__praetor_sd/cwd" ]; then cd -- "$(cat -- "$__praetor_sd/cwd")" 2>/dev/null || cd /workspace; else cd -- "$3" || exit 125; fi',
  'set --',
  'trap \'__praetor_rc=$?; { pwd > "$__praetor_sd/cwd"; export -p > "$__praetor_sd/env"; declare -f > "$__praetor_sd/fn"; } 2>/dev/null; exit $__praetor_rc\' EXIT',
  'eval "$__praetor_cmd"',
].join('\n');

/** The argv of one session command (pure, for tests). */
export function sessionArgv(stateDir: string, command: string, initialCwd: string): string[] {
  return ['bash', '-c', SESSION_SCRIPT, 'praetor-session', stateDir, command, initialCwd];
}

export interface SessionStart {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

export class ShellSession {
  readonly id = `ss-${randomBytes(6).toString('hex')}`;
  private readonly stateDir: string;
  private started = false;
  private queue: Promise<unknown> = Promise.resolve();

  /** `stateRoot`: where, inside the sandbox, sessions keep their state. */
  constructor(
    private readonly start: SessionStart,
    stateRoot = '/tmp/.praetor-sessions',
  ) {
    this.stateDir = `${stateRoot}/${this.id}`;
  }

  /** Runs one command after the previous one of this session has finished. */
  run(sandbox: Sandbox, command: string, options: Omit<ExecOptions, 'cwd'>): Promise<ExecResult> {
    const next = this.queue.then(() => {
      // The starting variables go in once; after that the saved state is the truth (an unset sticks).
      const env = this.started ? options.env : { ...this.start.env, ...options.env };
      this.started = true;
      return sandbox.exec(sessionArgv(this.stateDir, command, this.start.cwd), { ...options, ...(env ? { env } : {}) });
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** The sessions of one sandbox. */
export class SessionTable {
  private readonly sessions = new Map<string, ShellSession>();
  static readonly MAX = 256;

  open(start: SessionStart): ShellSession {
    if (this.sessions.size >= SessionTable.MAX) throw new ApiError(429, 'too-many-sessions', `a sandbox keeps at most ${SessionTable.MAX} sessions`);
    const session = new ShellSession(start);
    this.sessions.set(session.id, session);
    return session;
  }

  get(id: string): ShellSession {
    const session = this.sessions.get(id);
    if (!session) throw new ApiError(404, 'not-found', `no session ${id.slice(0, 64)}`);
    return session;
  }

  close(id: string): void {
    if (!this.sessions.delete(id)) throw new ApiError(404, 'not-found', `no session ${id.slice(0, 64)}`);
  }
}

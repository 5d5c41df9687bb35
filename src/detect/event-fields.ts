// The fields a rule may test, per event kind, and the derived ones computed at most once per event.
// Field paths are resolved when rules load, so a misspelt field is a load error, not a silent miss.
import { posix } from 'node:path';
import type { GuardEvent, GuardEventKind } from '../monitor/events.js';
import type { CommandContext, CommandFields } from './command-fields.js';

type EventOfKind<K extends GuardEventKind> = GuardEvent extends infer E
  ? E extends { readonly kind: infer EK }
    ? K extends EK
      ? E
      : never
    : never
  : never;
type FieldSet<E> = { readonly [F in keyof E]-?: true };

/** Every field of every kind; the compiler checks it against events.ts (a missing or extra field fails). */
const EVENT_FIELDS: { readonly [K in GuardEventKind]: FieldSet<EventOfKind<K>> } = {
  'step-start': { kind: true, time: true, sandboxId: true, step: true, argv: true, exitCode: true },
  'step-end': { kind: true, time: true, sandboxId: true, step: true, argv: true, exitCode: true },
  'process-start': { kind: true, time: true, sandboxId: true, step: true, pid: true, ppid: true, uid: true, exe: true, argv: true, cwd: true, stdio: true },
  'process-exit': { kind: true, time: true, sandboxId: true, step: true, pid: true, exitCode: true, signal: true },
  'resource-sample': {
    kind: true, time: true, sandboxId: true, step: true, scope: true, cpuSeconds: true, cpuCores: true,
    intervalMs: true, memoryBytes: true, pids: true, stepRunning: true,
  },
  'gpu-sample': {
    kind: true, time: true, sandboxId: true, step: true, pid: true, gpuIndex: true, gpuUuid: true, utilizationPercent: true,
    memoryBytes: true, intervalMs: true, gpuPowerWatts: true, gpuUtilizationPercent: true, pcieMBps: true, profile: true,
    granted: true, stepRunning: true, minerEvidence: true,
  },
  'network-denied': { kind: true, time: true, sandboxId: true, step: true, protocol: true, dstAddress: true, dstPort: true },
  'network-dropped': { kind: true, time: true, sandboxId: true, step: true, dropped: true },
  'proxy-connection': {
    kind: true, time: true, sandboxId: true, step: true, pid: true, method: true, host: true, port: true,
    decision: true, reason: true, resolvedAddress: true, addressClass: true, frontedHost: true, protocol: true,
    protocolDetail: true, bytesOut: true, bytesIn: true,
  },
  'file-write': { kind: true, time: true, sandboxId: true, step: true, path: true },
  'monitor-down': { kind: true, time: true, sandboxId: true, step: true, monitor: true, reason: true },
  'policy-verdict': {
    kind: true, time: true, sandboxId: true, step: true, source: true, target: true, decision: true, final: true,
    policyRule: true, technique: true, pid: true,
  },
  'process-sockets': {
    kind: true, time: true, sandboxId: true, step: true, via: true, pid: true, ppid: true, exe: true, argv: true,
    stdio: true, netSockets: true, listenPorts: true, remote: true, parentExe: true, parentNetSockets: true,
    ancestorsText: true,
  },
  'step-usage': {
    kind: true, time: true, sandboxId: true, step: true, wallMs: true, cpuSeconds: true, cores: true, demandCores: true,
    userShare: true, execs: true, ioPerCpuSecond: true, peakMemoryBytes: true,
  },
  'file-open': { kind: true, time: true, sandboxId: true, step: true, pid: true, path: true, watch: true, label: true, exe: true, argv: true },
};

export const EVENT_KINDS = Object.keys(EVENT_FIELDS) as readonly GuardEventKind[];

/** Derived fields, with the raw field each is computed from. */
export const DERIVED_FIELDS: Readonly<Record<DerivedField, { readonly from: readonly string[]; readonly what: string }>> = {
  argvText: { from: ['argv'], what: 'argv joined by single spaces' },
  exeName: { from: ['exe'], what: 'basename of exe' },
  argv0Name: { from: ['argv'], what: 'basename of argv[0]' },
  cmdPrograms: { from: ['argv'], what: 'every program the command line would run, wrappers and busybox applets seen through (basenames)' },
  cmdLines: { from: ['argv'], what: 'each command the line would run as `program arg...`, paths normalised, a shell\'s script left out' },
  cmdPaths: { from: ['argv'], what: 'every path on the command line or in interpreter code, normalised (~ for any home, globs matched to credential paths)' },
  cmdIntents: { from: ['argv'], what: 'idioms the command text shows: socket-exec:LANG, socket:LANG, download-exec:LANG, dev-tcp, dev-tcp-read, dev-tcp-write' },
  tools: { from: ['argv', 'host'], what: 'tool catalogue entries (rules/catalogue) named by the command line or owning the host, as `technique id`' },
  parentExeName: { from: ['parentExe'], what: 'basename of parentExe' },
};
type DerivedField = 'argvText' | 'exeName' | 'argv0Name' | 'parentExeName' | 'cmdPrograms' | 'cmdLines' | 'cmdPaths' | 'cmdIntents' | 'tools';

function isDerived(name: string): name is DerivedField {
  return Object.hasOwn(DERIVED_FIELDS, name);
}

/** One event as rules see it: the raw fields, and the derived ones computed on first use. */
export class EventView {
  // null: not computed yet; undefined: the event has no such value.
  private text: string | undefined | null = null;
  private exe: string | undefined | null = null;
  private argv0: string | undefined | null = null;
  private cmd: CommandFields | undefined | null = null;
  private parent: string | undefined | null = null;

  constructor(
    readonly event: GuardEvent,
    private readonly context?: CommandContext,
  ) {}

  /** The command-text fields of the event's argv, when the engine was given a command context. */
  private commandFields(): CommandFields | undefined {
    if (this.cmd === null) {
      const argv = this.argv;
      const cwd = 'cwd' in this.event && typeof this.event.cwd === 'string' ? this.event.cwd : undefined;
      this.cmd = argv === undefined || this.context === undefined ? undefined : this.context.command(argv, cwd);
    }
    return this.cmd;
  }

  get cmdPrograms(): readonly string[] | undefined {
    return this.commandFields()?.programs;
  }

  get cmdLines(): readonly string[] | undefined {
    return this.commandFields()?.lines;
  }

  get cmdPaths(): readonly string[] | undefined {
    return this.commandFields()?.paths;
  }

  get cmdIntents(): readonly string[] | undefined {
    return this.commandFields()?.intents;
  }

  get tools(): readonly string[] | undefined {
    if ('host' in this.event && typeof this.event.host === 'string') return this.context?.host(this.event.host);
    return this.commandFields()?.tools;
  }

  get argv(): readonly string[] | undefined {
    return 'argv' in this.event && this.event.argv !== null ? this.event.argv : undefined;
  }

  get argvText(): string | undefined {
    if (this.text === null) this.text = this.argv?.join(' ');
    return this.text;
  }

  get exeName(): string | undefined {
    if (this.exe === null) this.exe = 'exe' in this.event && this.event.exe !== null ? posix.basename(this.event.exe) : undefined;
    return this.exe;
  }

  get argv0Name(): string | undefined {
    if (this.argv0 === null) {
      const first = this.argv?.[0];
      this.argv0 = first === undefined ? undefined : posix.basename(first);
    }
    return this.argv0;
  }

  get parentExeName(): string | undefined {
    if (this.parent === null) this.parent = 'parentExe' in this.event && this.event.parentExe !== null ? posix.basename(this.event.parentExe) : undefined;
    return this.parent;
  }

  field(name: string): unknown {
    return (this.event as unknown as Record<string, unknown>)[name];
  }
}

export type FieldReader = (view: EventView) => unknown;

/** Whether a top-level field (raw or derived) exists on at least one of the kinds. */
export function fieldKnown(name: string, kinds: readonly GuardEventKind[]): boolean {
  const raw = isDerived(name) ? DERIVED_FIELDS[name].from : [name];
  return kinds.some((k) => raw.some((f) => Object.hasOwn(EVENT_FIELDS[k], f)));
}

/** Known field names for the kinds, for error messages. */
export function fieldsOf(kinds: readonly GuardEventKind[]): string[] {
  const names = new Set(kinds.flatMap((k) => Object.keys(EVENT_FIELDS[k])));
  for (const d of Object.keys(DERIVED_FIELDS)) if (fieldKnown(d, kinds)) names.add(d);
  return [...names].sort();
}

/**
 * A reader for a dotted path ('dstPort', 'argv.0', 'argv.length'), or why there is none. Events are
 * flat, so segments after the first only index arrays or take a length.
 */
export function compileField(path: string, kinds: readonly GuardEventKind[]): { read: FieldReader } | { error: string } {
  const [head = '', ...rest] = path.split('.');
  if (!fieldKnown(head, kinds)) {
    return { error: `unknown field "${head}" for ${kinds.join(', ')} (known: ${fieldsOf(kinds).join(', ')})` };
  }
  let read: FieldReader = isDerived(head) ? (v) => v[head] : (v) => v.field(head);
  for (const seg of rest) {
    const inner = read;
    if (/^\d+$/.test(seg)) {
      const i = Number(seg);
      read = (v) => {
        const x = inner(v);
        return Array.isArray(x) ? (x[i] as unknown) : undefined;
      };
    } else if (seg === 'length') {
      read = (v) => {
        const x = inner(v);
        return Array.isArray(x) || typeof x === 'string' ? x.length : undefined;
      };
    } else {
      return { error: `"${path}": after the field name only an index (argv.0) or "length" may follow` };
    }
  }
  return { read };
}

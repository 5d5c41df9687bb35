// The fields a rule may test, per event kind, and the derived ones computed at most once per event.
// Field paths are resolved when rules load, so a misspelt field is a load error, not a silent miss.
import { posix } from 'node:path';
import type { GuardEvent, GuardEventKind } from '../monitor/events.js';

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
    kind: true, time: true, sandboxId: true, step: true, pid: true, gpuIndex: true, utilizationPercent: true,
    memoryBytes: true, granted: true,
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
  },
  'file-open': { kind: true, time: true, sandboxId: true, step: true, pid: true, path: true, watch: true, label: true, exe: true, argv: true },
};

export const EVENT_KINDS = Object.keys(EVENT_FIELDS) as readonly GuardEventKind[];

/** Derived fields, with the raw field each is computed from. */
export const DERIVED_FIELDS = {
  argvText: { from: 'argv', what: 'argv joined by single spaces' },
  exeName: { from: 'exe', what: 'basename of exe' },
  argv0Name: { from: 'argv', what: 'basename of argv[0]' },
  parentExeName: { from: 'parentExe', what: 'basename of parentExe' },
} as const;
type DerivedField = keyof typeof DERIVED_FIELDS;

function isDerived(name: string): name is DerivedField {
  return Object.hasOwn(DERIVED_FIELDS, name);
}

/** One event as rules see it: the raw fields, and the derived ones computed on first use. */
export class EventView {
  // null: not computed yet; undefined: the event has no such value.
  private text: string | undefined | null = null;
  private exe: string | undefined | null = null;
  private argv0: string | undefined | null = null;
  private parent: string | undefined | null = null;

  constructor(readonly event: GuardEvent) {}

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
  const raw = isDerived(name) ? DERIVED_FIELDS[name].from : name;
  return kinds.some((k) => Object.hasOwn(EVENT_FIELDS[k], raw));
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

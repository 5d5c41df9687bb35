// The JSON lines praetor-nflog prints (one zod schema per kind), and how a denial line becomes a
// network record. Pure: bad lines come back as data, never thrown.
import { z } from 'zod';
import type { DeniedAttempt, DenialsDropped } from './network-events.js';

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).describe('The cell: its sandbox id.');
const time = z.number().finite().nonnegative().describe('Epoch milliseconds when the denial was read.');
const port = z.number().int().min(0).max(65535).nullable();

export const NflogDenySchema = z.object({
  e: z.literal('deny'),
  id,
  t: time,
  seq: z.number().int().nonnegative().nullable().describe("The cell's sequence number of the denial."),
  prefix: z.string().describe('The nft log prefix of the rule that denied it: praetor:<sandbox>:<step or ->.'),
  family: z.union([z.literal(4), z.literal(6)]).nullable(),
  proto: z.number().int().min(0).max(255).nullable().describe('IP protocol number.'),
  src: z.string().nullable(),
  dst: z.string().nullable(),
  sport: port,
  dport: port,
  uid: z.number().int().nonnegative().nullable().describe('Host uid of the sending socket.'),
});

export const NflogLineSchema = z.discriminatedUnion('e', [
  NflogDenySchema,
  z.object({ e: z.literal('dropped'), id, t: time, n: z.number().int().positive() }),
  z.object({ e: z.literal('ready'), t: time, sched: z.enum(['fifo', 'nice', 'normal']) }),
  z.object({ e: z.literal('added'), id }),
  z.object({ e: z.literal('removed'), id }),
  z.object({ e: z.literal('error'), id, msg: z.string() }),
  z.object({ e: z.literal('sync'), n: z.number().int().nonnegative() }),
]);

export type NflogLine = z.infer<typeof NflogLineSchema>;
export type NflogDeny = z.infer<typeof NflogDenySchema>;

export type ParsedNflogLine = { readonly ok: true; readonly line: NflogLine } | { readonly ok: false; readonly error: string };

export function parseNflogLine(text: string): ParsedNflogLine {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const parsed = NflogLineSchema.safeParse(json);
  if (parsed.success) return { ok: true, line: parsed.data };
  const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(line)'}: ${i.message}`).join('; ');
  return { ok: false, error: detail };
}

const PREFIX = /^praetor:([A-Za-z0-9_-]+):([1-9][0-9]*|-) $/;

/** Sandbox and step named by a denial's log prefix (see denialLogPrefix); null when it names none. */
export function parseDenialPrefix(prefix: string): { sandboxId: string; step: number | null } | null {
  const m = PREFIX.exec(prefix);
  if (!m) return null;
  const [, sandboxId = '', step = '-'] = m;
  return { sandboxId, step: step === '-' ? null : Number(step) };
}

function protocolName(proto: number | null): DeniedAttempt['protocol'] {
  switch (proto) {
    case 6:
      return 'tcp';
    case 17:
      return 'udp';
    case 1:
    case 58:
      return 'icmp';
    case null:
    default:
      return 'other';
  }
}

/**
 * The record of one denial. The cell the helper read it in names the sandbox (a prefix naming
 * another is not believed); the prefix names the step.
 */
export function deniedAttempt(line: NflogDeny): DeniedAttempt {
  const named = parseDenialPrefix(line.prefix);
  return {
    kind: 'denied-attempt',
    sandboxId: line.id,
    step: named !== null && named.sandboxId === line.id ? named.step : null,
    time: line.t,
    protocol: protocolName(line.proto),
    srcAddress: line.src ?? '',
    srcPort: line.sport,
    dstAddress: line.dst ?? '',
    dstPort: line.dport,
  };
}

export function denialsDropped(sandboxId: string, time: number, dropped: number | null): DenialsDropped {
  return { kind: 'denials-dropped', sandboxId, time, dropped };
}

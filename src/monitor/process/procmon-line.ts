// The JSON lines praetor-procmon prints (one zod schema per kind), and the cgroup path that
// ties a process to its sandbox and step. Pure: bad lines come back as data, never thrown.
import { z } from 'zod';
import { formatIssues } from '../../core/schema-issues.js';

const pid = z.number().int().positive();
const time = z.number().finite().nonnegative().describe('Epoch milliseconds of the kernel event.');

export const ProcmonExecSchema = z.object({
  e: z.literal('exec'),
  pid,
  ppid: z.number().int().nonnegative().nullable(),
  uid: z.number().int().nonnegative().nullable().describe('Real uid as the host sees it.'),
  t: time,
  cg: z.string().describe('praetor/<sandboxId>/<leaf>, relative to the hierarchy root.'),
  exe: z.string().nullable(),
  cwd: z.string().nullable(),
  fds: z.array(z.string().nullable()).length(3).optional().describe('fd 0-2 at exec: /proc/PID/fd links, network sockets as tcp:[N] or udp:[N].'),
  argv: z.array(z.string()).nullable().describe('null when the process exited before it was read.'),
});

export const ProcmonExitSchema = z.object({
  e: z.literal('exit'),
  pid,
  t: time,
  code: z.number().int().min(0).max(255).nullable(),
  sig: z.number().int().min(1).max(127).nullable(),
});

export const ProcmonLineSchema = z.discriminatedUnion('e', [
  ProcmonExecSchema,
  ProcmonExitSchema,
  z.object({ e: z.literal('overrun'), t: time }),
  z.object({
    e: z.literal('ready'),
    t: time,
    sched: z.enum(['fifo', 'nice', 'normal']).describe('fifo: runs the moment an event arrives, so short-lived processes are read in time.'),
  }),
  z.object({ e: z.literal('sync'), n: z.number().int().nonnegative() }),
]);

export type ProcmonLine = z.infer<typeof ProcmonLineSchema>;
export type ProcmonExec = z.infer<typeof ProcmonExecSchema>;
export type ProcmonExit = z.infer<typeof ProcmonExitSchema>;

export type ParsedProcmonLine = { readonly ok: true; readonly line: ProcmonLine } | { readonly ok: false; readonly error: string };

export function parseProcmonLine(text: string): ParsedProcmonLine {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const parsed = ProcmonLineSchema.safeParse(json);
  if (parsed.success) return { ok: true, line: parsed.data };
  return { ok: false, error: formatIssues(parsed.error.issues).join('; ') };
}

// Deeper cgroups below a leaf still belong to it (nothing creates them today).
const LEAF_PATH = /^praetor\/([A-Za-z0-9_.-]+)\/(init|step-([1-9][0-9]*))(?:\/|$)/;

/** `praetor/<id>/step-N` -> step N, `praetor/<id>/init` -> step null; anything else -> null. */
export function parseLeaf(cg: string): { sandboxId: string; step: number | null } | null {
  const m = LEAF_PATH.exec(cg);
  if (m === null) return null;
  const step = m[3] === undefined ? null : Number(m[3]);
  if (step !== null && !Number.isSafeInteger(step)) return null;
  return { sandboxId: m[1] ?? '', step };
}

// The JSON lines praetor-fanotify prints (one zod schema per kind), and which watched file a read
// was of. Pure: bad lines come back as data, never thrown.
import { z } from 'zod';
import { formatIssues } from '../../core/schema-issues.js';
import type { CredentialLabel } from '../../sandbox/bait.js';

const time = z.number().finite().nonnegative().describe('Epoch milliseconds the helper read the event.');
const inode = z.number().int().nonnegative();

export const FanotifyReadSchema = z.object({
  e: z.literal('read'),
  t: time,
  pid: z.number().int().positive(),
  how: z.enum(['access', 'close']).describe('access: a read(); close: closed after a read-only open.'),
  dev: inode,
  ino: inode,
  path: z.string().nullable().describe('The file as the host names it.'),
  cg: z.string().nullable().describe('praetor/<sandboxId>/<leaf> of the reader; null: it was gone before /proc was read.'),
  exe: z.string().nullable(),
  argv: z.array(z.string()).nullable(),
});

// a plain union: `marked` has two shapes, which discriminatedUnion does not allow
export const FanotifyLineSchema = z.union([
  FanotifyReadSchema,
  z.object({ e: z.literal('ready'), t: time }),
  z.object({ e: z.literal('marked'), tag: z.number().int().nonnegative(), ok: z.literal(true), dev: inode, ino: inode }),
  z.object({ e: z.literal('marked'), tag: z.number().int().nonnegative(), ok: z.literal(false), err: z.string() }),
  z.object({ e: z.literal('overrun'), t: time }),
  z.object({ e: z.literal('sync'), n: z.number().int().nonnegative() }),
]);

export type FanotifyLine = z.infer<typeof FanotifyLineSchema>;
export type FanotifyRead = z.infer<typeof FanotifyReadSchema>;

export function parseFanotifyLine(text: string): { ok: true; line: FanotifyLine } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const parsed = FanotifyLineSchema.safeParse(json);
  if (parsed.success) return { ok: true, line: parsed.data };
  return { ok: false, error: formatIssues(parsed.error.issues).join('; ') };
}

/**
 * The real credential files of a home, by their path relative to it: the task's own (or the
 * host's, where a workspace brings them). A read of one is a weak signal, a finding; bait is told
 * apart by its inode, not by its name.
 */
const CREDENTIAL_PATHS: readonly [RegExp, CredentialLabel][] = [
  [/^\.aws\/credentials$/, 'aws'],
  [/^\.ssh\/id_(rsa|dsa|ecdsa|ed25519)(_sk)?$/, 'ssh-key'],
  [/^\.config\/gcloud\/(application_default_credentials\.json|credentials\.db|access_tokens\.db|legacy_credentials\/.*)$/, 'gcloud'],
  [/^\.git-credentials$/, 'git-token'],
  [/^\.netrc$/, 'netrc'],
  [/^\.pgpass$/, 'pgpass'],
  [/^\.vault-token$/, 'vault-token'],
];

export function credentialLabel(relativePath: string): CredentialLabel | null {
  for (const [pattern, label] of CREDENTIAL_PATHS) if (pattern.test(relativePath)) return label;
  return null;
}

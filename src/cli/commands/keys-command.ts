// `praetor keys create|list|revoke`: the daemon's API keys, on its key database directly (root).
// The daemon sees a change at its next request: keys are read from the database each time.
import { Command, Option } from 'commander';
import { PraetorError } from '../../core/errors.js';
import { QuotasSchema, SCOPES, type KeyBook, type Scope } from '../../service/key-store.js';
import { openKeyBook } from '../../service/open-keys.js';
import { formatIssues } from '../../core/schema-issues.js';

export const DEFAULT_KEYS = '/var/lib/praetor/keys.db';

export function keysPath(flag: string | undefined): string {
  return flag ?? process.env.PRAETOR_KEYS ?? DEFAULT_KEYS;
}

function withStore<T>(path: string | undefined, fn: (store: KeyBook) => T): T {
  let store: KeyBook;
  try {
    store = openKeyBook(keysPath(path));
  } catch (err) {
    throw new PraetorError('invalid-config', `key database ${keysPath(path)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

const keysOption = (): Option => new Option('--keys <path>', `key database, or a fleet's postgres:// URL (env PRAETOR_KEYS, default ${DEFAULT_KEYS})`);

interface CreateFlags {
  name: string;
  scope: Scope;
  maxSandboxes?: string;
  maxCpus?: string;
  maxMemory?: string;
  keys?: string;
  json?: boolean;
}

export function keysCommand(): Command {
  const keys = new Command('keys').description("Manage the daemon's API keys (stored hashed; a key is shown once, when created).");
  keys
    .command('create')
    .description('Create a key and print it (the only time it is shown)')
    .requiredOption('--name <name>', 'who or what the key is for')
    .addOption(new Option('--scope <scope>', 'what it may do').choices([...SCOPES]).default('sandboxes'))
    .option('--max-sandboxes <n>', 'live sandboxes at once')
    .option('--max-cpus <n>', 'CPU cores over its live sandboxes')
    .option('--max-memory <size>', 'memory over its live sandboxes, e.g. 64g')
    .addOption(keysOption())
    .option('--json', 'print {id, key, scope, quotas} as JSON')
    .action((flags: CreateFlags) => {
      const raw = {
        ...(flags.maxSandboxes !== undefined ? { maxSandboxes: Number(flags.maxSandboxes) } : {}),
        ...(flags.maxCpus !== undefined ? { maxCpus: Number(flags.maxCpus) } : {}),
        ...(flags.maxMemory !== undefined ? { maxMemoryBytes: flags.maxMemory } : {}),
      };
      const quotas = QuotasSchema.safeParse(raw);
      if (!quotas.success) throw new PraetorError('usage', `quotas: ${formatIssues(quotas.error.issues).join('; ')}`);
      if (flags.name.trim() === '' || flags.name.length > 128) throw new PraetorError('usage', '--name needs 1-128 characters');
      const { key, token } = withStore(flags.keys, (s) => s.create({ name: flags.name, scope: flags.scope, quotas: quotas.data }));
      if (flags.json) process.stdout.write(`${JSON.stringify({ id: key.id, key: token, scope: key.scope, quotas: key.quotas })}\n`);
      else {
        process.stdout.write(`${token}\n`);
        process.stderr.write(`praetor: key ${key.id} (${key.scope}) created; it is shown only this once\n`);
      }
    });
  keys
    .command('list')
    .description('List keys (never their secrets)')
    .addOption(keysOption())
    .option('--json', 'print JSON lines')
    .action((flags: { keys?: string; json?: boolean }) => {
      const all = withStore(flags.keys, (s) => s.list());
      for (const k of all) {
        if (flags.json) process.stdout.write(`${JSON.stringify(k)}\n`);
        else {
          const quotas = Object.entries(k.quotas).map(([q, v]) => `${q}=${String(v)}`).join(',') || '-';
          const state = k.revokedAt === null ? 'live' : `revoked ${new Date(k.revokedAt).toISOString()}`;
          process.stdout.write(`${k.id}  ${k.scope.padEnd(9)}  ${k.name}  quotas ${quotas}  ${state}\n`);
        }
      }
    });
  keys
    .command('revoke')
    .description('Revoke a key by id; its next request gets 401')
    .argument('<id>', 'the key id (the part after pk_)')
    .addOption(keysOption())
    .action((id: string, flags: { keys?: string }) => {
      if (!withStore(flags.keys, (s) => s.revoke(id))) throw new PraetorError('usage', `no live key ${id}`);
      process.stderr.write(`praetor: key ${id} revoked\n`);
    });
  for (const sub of keys.commands) sub.exitOverride();
  return keys;
}

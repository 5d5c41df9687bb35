// A real, throwaway PostgreSQL for tests: Debian's server binaries, initdb into a temporary
// folder, listening only on a unix socket in that folder (no TCP port). As root it runs as the
// `postgres` user (the server refuses root). When the server binaries are missing it throws with
// what to install: tests that need it fail, never skip (CI installs it, see scripts/quickstart.sh).
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN_ROOT = '/usr/lib/postgresql';

export interface PostgresServer {
  /** The unix socket directory. */
  readonly dir: string;
  /** A URL for database `db` (created with createDatabase first). */
  url(db: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): string;
  /**
   * A fresh, empty schema in database `postgres` and a URL whose connections use it (the
   * search_path startup setting): much cheaper than a database (CREATE DATABASE copies a template).
   */
  createSchema(name: string): string;
  /** Runs SQL through psql as the superuser; returns stdout. */
  psql(db: string, sql: string): string;
  stop(): void;
}

function binDir(): string {
  const versions = existsSync(BIN_ROOT) ? readdirSync(BIN_ROOT).filter((v) => existsSync(join(BIN_ROOT, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) {
    throw new Error(`PostgreSQL server binaries not found under ${BIN_ROOT}: install Debian's postgresql (apt-get install -y postgresql); these tests need a real server`);
  }
  return join(BIN_ROOT, newest, 'bin');
}

/**
 * Starts a server; stop() it in an after() hook. Takes about 1-3 s (initdb). `tcp` also listens on
 * that address (port 5432), open to its /24 without a password: for hosts in test namespaces.
 */
export function startPostgres(options: { tcp?: string } = {}): PostgresServer {
  const bin = binDir();
  const root = process.getuid?.() === 0;
  const user = root ? 'postgres' : (process.env.USER ?? 'postgres');
  const dir = mkdtempSync(join(tmpdir(), 'praetor-pg-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const as = (cmd: string, args: string[]): [string, string[]] => (root ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  const run = (cmd: string, args: string[]): string => execFileSync(...as(cmd, args), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (root) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()));
  run(join(bin, 'initdb'), ['-D', data, '-U', user, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  if (options.tcp !== undefined) appendFileSync(join(data, 'pg_hba.conf'), `host all all ${options.tcp}/24 trust\n`);
  const listen = options.tcp ?? '';
  run(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', 'start', '-o', `-k ${dir} -c listen_addresses='${listen}' -c max_connections=200 -c fsync=on`]);
  const url = (db: string): string => `postgres://${user}@localhost/${db}?host=${dir}`;
  const psql = (db: string, sql: string): string => run('psql', ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-U', user, '-d', db, '-c', sql]);
  let stopped = false;
  return {
    dir,
    url,
    createDatabase: (name) => {
      psql('postgres', `CREATE DATABASE "${name}"`);
      return url(name);
    },
    createSchema: (name) => {
      psql('postgres', `CREATE SCHEMA "${name}"`);
      return `${url('postgres')}&search_path=${name}`;
    },
    psql,
    stop: () => {
      if (stopped) return;
      stopped = true;
      spawnSync(...as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']), { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

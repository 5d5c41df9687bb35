// Versioned migrations for praetor's PostgreSQL tables: each component (the episode store, the
// fleet) has an ordered list; entry i takes it from version i to i + 1. They run in one transaction
// under an advisory lock, so several praetors starting against a new database migrate it once.
import { PraetorError } from '../../core/errors.js';
import type { BridgeStatement } from './postgres-bridge.js';

/** Any advisory lock key, the same in every praetor: "praetor" as int8. */
const MIGRATION_LOCK = 0x7072616574;

/** The statements that bring `component` to the latest version (the caller runs them in one transaction). */
export function migrationStatements(component: string, migrations: readonly string[]): BridgeStatement[] {
  return [
    { sql: `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})` },
    { sql: 'CREATE TABLE IF NOT EXISTS praetor_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)' },
    { sql: 'INSERT INTO praetor_schema (component, version) VALUES ($1, 0) ON CONFLICT (component) DO NOTHING', params: [component] },
    // A DO block applies the missing entries in order and records the version; a newer database
    // (a version past the list) is refused.
    {
      sql: `DO $migrate$
        DECLARE current INTEGER; steps TEXT[] := ${sqlArray(migrations)};
        BEGIN
          SELECT version INTO current FROM praetor_schema WHERE component = ${sqlText(component)} FOR UPDATE;
          IF current > ${migrations.length} THEN
            RAISE EXCEPTION 'praetor % schema is at version %; this praetor knows up to ${migrations.length} (written by a newer praetor?)', ${sqlText(component)}, current;
          END IF;
          FOR i IN (current + 1)..${migrations.length} LOOP
            EXECUTE steps[i];
          END LOOP;
          UPDATE praetor_schema SET version = GREATEST(current, ${migrations.length}) WHERE component = ${sqlText(component)};
        END $migrate$`,
    },
  ];
}

function sqlText(s: string): string {
  if (s.includes('$migrate$')) throw new PraetorError('internal', 'a migration may not contain $migrate$');
  return `'${s.replaceAll("'", "''")}'`;
}

function sqlArray(items: readonly string[]): string {
  return items.length === 0 ? 'ARRAY[]::TEXT[]' : `ARRAY[${items.map(sqlText).join(', ')}]`;
}

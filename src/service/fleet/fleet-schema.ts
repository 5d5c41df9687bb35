// The fleet's tables in PostgreSQL, as migrations of the 'fleet' component (episode/store/
// postgres-migrate.ts): nodes and their heartbeats, where each sandbox or environment lives, and
// the API keys every front and node check. Append new entries; never edit a shipped one.

export const FLEET_MIGRATIONS: readonly string[] = [
  `CREATE TABLE fleet_nodes (
     id            TEXT PRIMARY KEY,
     address       TEXT NOT NULL,
     cpus          INTEGER NOT NULL,
     memory_bytes  BIGINT NOT NULL,
     gpus          INTEGER NOT NULL,
     slots         INTEGER NOT NULL,
     alive         INTEGER NOT NULL DEFAULT 0,
     version       TEXT NOT NULL DEFAULT '',
     started_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
     heartbeat_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
     state         TEXT NOT NULL DEFAULT 'up'
   );
   CREATE TABLE fleet_sandboxes (
     id          TEXT PRIMARY KEY,
     kind        TEXT NOT NULL,
     node_id     TEXT NOT NULL,
     owner       TEXT NOT NULL DEFAULT '',
     gpu         BOOLEAN NOT NULL DEFAULT false,
     state       TEXT NOT NULL DEFAULT 'live',
     view        TEXT,
     created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
   );
   CREATE INDEX fleet_sandboxes_by_node ON fleet_sandboxes (node_id, state);
   CREATE TABLE api_keys (
     id          TEXT PRIMARY KEY,
     name        TEXT NOT NULL,
     scope       TEXT NOT NULL,
     quotas      TEXT NOT NULL,
     salt        TEXT NOT NULL,
     hash        TEXT NOT NULL,
     created_at  BIGINT NOT NULL,
     revoked_at  BIGINT
   );`,
];

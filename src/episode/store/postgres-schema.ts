// The PostgreSQL episode store's schema as migrations (postgres-migrate.ts): entry i takes the
// 'episodes' component from version i to i + 1. Append new entries; never edit a shipped one.
// Columns mirror the SQLite store's (nested data as JSON text, read back through sqlite-rows.ts's
// validating readers), plus `owner`: the praetor (fleet node) that runs the episode.

export const POSTGRES_MIGRATIONS: readonly string[] = [
  `CREATE TABLE episodes (
     id            TEXT PRIMARY KEY,
     owner         TEXT NOT NULL DEFAULT '',
     seq           BIGSERIAL,
     task_id       TEXT NOT NULL,
     sandbox_id    TEXT NOT NULL,
     policy        TEXT NOT NULL,
     status        TEXT NOT NULL,
     status_reason TEXT,
     started_at    BIGINT NOT NULL,
     ended_at      BIGINT,
     task          TEXT NOT NULL,
     outcome       TEXT,
     messages      TEXT,
     tools         TEXT
   );
   CREATE INDEX episodes_by_start ON episodes (started_at DESC, seq DESC);
   CREATE INDEX episodes_by_status ON episodes (status, started_at DESC, seq DESC);
   CREATE INDEX episodes_running_by_owner ON episodes (owner) WHERE status = 'running';
   CREATE TABLE steps (
     episode_id        TEXT NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
     idx               INTEGER NOT NULL,
     turn              TEXT,
     started_at        BIGINT NOT NULL,
     ended_at          BIGINT NOT NULL,
     message           TEXT,
     action            TEXT,
     observation       TEXT,
     sandbox_steps     TEXT NOT NULL,
     resources         TEXT,
     alerts            TEXT NOT NULL,
     tokens            TEXT,
     model_request_id  TEXT,
     model_response_id TEXT,
     policy            TEXT,
     PRIMARY KEY (episode_id, idx)
   );
   CREATE TABLE turns (
     episode_id TEXT NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
     idx        INTEGER NOT NULL,
     record     TEXT NOT NULL,
     PRIMARY KEY (episode_id, idx)
   );`,
  // 2: GPU use (GPU-seconds, peak GPU memory) of each step and of each episode; NULL: none recorded.
  `ALTER TABLE steps ADD COLUMN gpu_seconds DOUBLE PRECISION, ADD COLUMN gpu_peak_memory_bytes BIGINT;
   ALTER TABLE episodes ADD COLUMN gpu_seconds DOUBLE PRECISION, ADD COLUMN gpu_peak_memory_bytes BIGINT;`,
];

// The SQLite store's schema as migrations: entry i takes PRAGMA user_version from i to i + 1.
// Append new entries; never edit one that has shipped, since stores in the field already ran it.

export const SQLITE_MIGRATIONS: readonly string[] = [
  // 1: episodes and their steps. Scalars are columns (queries filter on them); nested data is JSON.
  `CREATE TABLE episodes (
     id            TEXT PRIMARY KEY,
     task_id       TEXT NOT NULL,
     sandbox_id    TEXT NOT NULL,
     policy        TEXT NOT NULL,
     status        TEXT NOT NULL,
     status_reason TEXT,
     started_at    INTEGER NOT NULL,
     ended_at      INTEGER,
     task          TEXT NOT NULL,
     outcome       TEXT,
     messages      TEXT
   ) STRICT;
   CREATE INDEX episodes_by_start ON episodes (started_at);
   CREATE INDEX episodes_by_status ON episodes (status, started_at);
   CREATE TABLE steps (
     episode_id        TEXT NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
     idx               INTEGER NOT NULL,
     turn              TEXT,
     started_at        INTEGER NOT NULL,
     ended_at          INTEGER NOT NULL,
     message           TEXT,
     action            TEXT,
     observation       TEXT,
     sandbox_steps     TEXT NOT NULL,
     resources         TEXT,
     alerts            TEXT NOT NULL,
     tokens            TEXT,
     model_request_id  TEXT,
     model_response_id TEXT,
     PRIMARY KEY (episode_id, idx)
   ) STRICT, WITHOUT ROWID;`,
  // 2: the command-policy decisions of each step (allow, ask, deny; the rule), as JSON.
  `ALTER TABLE steps ADD COLUMN policy TEXT;`,
  // 3: the tools the agent was offered; the model turns of agent-native episodes; alerts on steps
  // name their episode step and turn, the sandbox exec step moving to sandboxStep.
  `ALTER TABLE episodes ADD COLUMN tools TEXT;
   CREATE TABLE turns (
     episode_id TEXT NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
     idx        INTEGER NOT NULL,
     record     TEXT NOT NULL,
     PRIMARY KEY (episode_id, idx)
   ) STRICT, WITHOUT ROWID;
   UPDATE steps SET alerts = (
     SELECT json_group_array(json_set(a.value, '$.sandboxStep', json_extract(a.value, '$.step'), '$.step', steps.idx, '$.turn', steps.turn))
     FROM json_each(steps.alerts) AS a
   ) WHERE json_array_length(alerts) > 0;`,
  // 4: GPU use (GPU-seconds, peak GPU memory) of each step and of each episode; NULL: none recorded.
  `ALTER TABLE steps ADD COLUMN gpu_seconds REAL;
   ALTER TABLE steps ADD COLUMN gpu_peak_memory_bytes INTEGER;
   ALTER TABLE episodes ADD COLUMN gpu_seconds REAL;
   ALTER TABLE episodes ADD COLUMN gpu_peak_memory_bytes INTEGER;`,
];

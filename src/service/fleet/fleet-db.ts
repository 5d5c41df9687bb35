// The fleet's state in PostgreSQL, asynchronously (fronts and node heartbeats never block): nodes
// and their heartbeats, where each sandbox lives, placement, and the sweep that declares a node
// lost. Every time comparison uses the database's clock, so nodes' clocks may disagree.
import postgres from 'postgres';
import { errorMessage, PraetorError } from '../../core/errors.js';
import { migrationStatements } from '../../episode/store/postgres-migrate.js';
import { abortRunningStatement } from '../../episode/store/postgres-store.js';
import { parsePostgresUrl } from '../../episode/store/postgres-url.js';
import { FLEET_MIGRATIONS } from './fleet-schema.js';

export type Sql = postgres.Sql;

export interface NodeCapacity {
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly gpus: number;
  /** Sandboxes (and environments) it takes at once. */
  readonly slots: number;
}

export interface NodeInfo extends NodeCapacity {
  readonly id: string;
  readonly address: string;
  readonly used: number;
  readonly gpusUsed: number;
  readonly up: boolean;
  /** Milliseconds since its last heartbeat, by the database's clock, when read. */
  readonly heartbeatAgeMs: number;
}

export interface Placement {
  readonly id: string;
  readonly kind: 'sandbox' | 'env';
  readonly node: string;
  readonly address: string;
  readonly owner: string;
  /** Whether its node has heartbeat within the timeout. */
  readonly nodeUp: boolean;
  readonly state: 'live' | 'lost';
  readonly view: Record<string, unknown> | null;
}

/** Connects and migrates; throws a one-line PraetorError when PostgreSQL can not be reached. */
export async function openFleetDb(url: string, max = 10): Promise<Sql> {
  const target = parsePostgresUrl(url);
  const sql = postgres(target.url, {
    ...(target.socketDir !== undefined ? { host: target.socketDir } : {}),
    max,
    onnotice: () => undefined,
    connect_timeout: 10,
    types: { bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
  });
  try {
    await sql.begin(async (tx) => {
      for (const s of migrationStatements('fleet', FLEET_MIGRATIONS)) await tx.unsafe(s.sql, (s.params ?? []) as string[]);
    });
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => undefined);
    throw new PraetorError('invalid-config', `cannot open the fleet database ${target.shown}: ${errorMessage(err)}`, { cause: err });
  }
  return sql;
}

/** A node's heartbeat: registers it or refreshes its address, capacity and time (and brings a lost node back up). */
export async function heartbeat(sql: Sql, id: string, address: string, capacity: NodeCapacity, alive: number, version: string): Promise<void> {
  await sql`
    INSERT INTO fleet_nodes (id, address, cpus, memory_bytes, gpus, slots, alive, version)
    VALUES (${id}, ${address}, ${capacity.cpus}, ${capacity.memoryBytes}, ${capacity.gpus}, ${capacity.slots}, ${alive}, ${version})
    ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, cpus = EXCLUDED.cpus, memory_bytes = EXCLUDED.memory_bytes,
      gpus = EXCLUDED.gpus, slots = EXCLUDED.slots, alive = EXCLUDED.alive, version = EXCLUDED.version,
      heartbeat_at = now(), state = 'up'`;
}

/** A node leaving on purpose: its rows go (its sandboxes were destroyed with it). */
export async function leave(sql: Sql, id: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`DELETE FROM fleet_sandboxes WHERE node_id = ${id}`;
    await tx`UPDATE fleet_nodes SET state = 'left' WHERE id = ${id}`;
  });
}

export async function listNodes(sql: Sql, timeoutMs: number): Promise<NodeInfo[]> {
  const rows = await sql`
    SELECT n.id, n.address, n.cpus, n.memory_bytes, n.gpus, n.slots,
           n.state = 'up' AND n.heartbeat_at > now() - make_interval(secs => ${timeoutMs / 1000}) AS up,
           (EXTRACT(EPOCH FROM now() - n.heartbeat_at) * 1000)::float8 AS age_ms,
           (SELECT count(*)::int FROM fleet_sandboxes s WHERE s.node_id = n.id AND s.state = 'live') AS used,
           (SELECT count(*)::int FROM fleet_sandboxes s WHERE s.node_id = n.id AND s.state = 'live' AND s.gpu) AS gpus_used
    FROM fleet_nodes n WHERE n.state <> 'left' ORDER BY n.id`;
  return rows.map((r) => ({
    id: String(r.id),
    address: String(r.address),
    cpus: Number(r.cpus),
    memoryBytes: Number(r.memory_bytes),
    gpus: Number(r.gpus),
    slots: Number(r.slots),
    used: Number(r.used),
    gpusUsed: Number(r.gpus_used),
    up: r.up === true,
    heartbeatAgeMs: Number(r.age_ms),
  }));
}

/**
 * Picks a live node with a free slot (and a free GPU when asked), the one with the most free
 * slots, and reserves the slot with a placeholder row in the same transaction: two fronts placing
 * at once lock the node row, so neither overfills it. Null when no node has room.
 */
export async function reserve(sql: Sql, kind: 'sandbox' | 'env', gpu: boolean, timeoutMs: number): Promise<{ ticket: string; node: string; address: string } | null> {
  return sql.begin(async (tx) => {
    const [node] = await tx`
      SELECT n.id, n.address FROM fleet_nodes n
      WHERE n.state = 'up' AND n.heartbeat_at > now() - make_interval(secs => ${timeoutMs / 1000})
        AND n.slots > (SELECT count(*) FROM fleet_sandboxes s WHERE s.node_id = n.id AND s.state IN ('live', 'placing'))
        AND (NOT ${gpu} OR n.gpus > (SELECT count(*) FROM fleet_sandboxes s WHERE s.node_id = n.id AND s.state IN ('live', 'placing') AND s.gpu))
      ORDER BY n.slots - (SELECT count(*) FROM fleet_sandboxes s WHERE s.node_id = n.id AND s.state IN ('live', 'placing')) DESC, random()
      LIMIT 1 FOR UPDATE OF n`;
    if (node === undefined) return null;
    const ticket = `placing-${crypto.randomUUID()}`;
    await tx`INSERT INTO fleet_sandboxes (id, kind, node_id, gpu, state) VALUES (${ticket}, ${kind}, ${node.id as string}, ${gpu}, 'placing')`;
    return { ticket, node: String(node.id), address: String(node.address) };
  });
}

/** The placed sandbox's real id, owner and view replace the reservation. */
export async function confirm(sql: Sql, ticket: string, id: string, owner: string, view: unknown): Promise<void> {
  await sql`UPDATE fleet_sandboxes SET id = ${id}, owner = ${owner}, state = 'live', view = ${JSON.stringify(view)} WHERE id = ${ticket}`;
}

export async function release(sql: Sql, id: string): Promise<void> {
  await sql`DELETE FROM fleet_sandboxes WHERE id = ${id}`;
}

export async function placement(sql: Sql, id: string, timeoutMs: number): Promise<Placement | null> {
  const [r] = await sql`
    SELECT s.id, s.kind, s.node_id, s.owner, s.state, s.view, n.address,
           n.state = 'up' AND n.heartbeat_at > now() - make_interval(secs => ${timeoutMs / 1000}) AS up
    FROM fleet_sandboxes s JOIN fleet_nodes n ON n.id = s.node_id WHERE s.id = ${id} AND s.state <> 'placing'`;
  if (r === undefined) return null;
  return {
    id: String(r.id),
    kind: r.kind === 'env' ? 'env' : 'sandbox',
    node: String(r.node_id),
    address: String(r.address),
    owner: String(r.owner),
    nodeUp: r.up === true,
    state: r.state === 'lost' || r.up !== true ? 'lost' : 'live',
    view: typeof r.view === 'string' ? (JSON.parse(r.view) as Record<string, unknown>) : null,
  };
}

/** Sandboxes of lost nodes (swept or not yet), for listings: `owner` null for all. */
export async function lostSandboxes(sql: Sql, owner: string | null, timeoutMs: number): Promise<Placement[]> {
  // lost as soon as the heartbeat is older than the timeout, before a sweep has marked it
  const rows = await sql`
    SELECT s.id, s.kind, s.node_id, s.owner, s.view, n.address FROM fleet_sandboxes s JOIN fleet_nodes n ON n.id = s.node_id
    WHERE (s.state = 'lost' OR (s.state = 'live' AND (n.state <> 'up' OR n.heartbeat_at <= now() - make_interval(secs => ${timeoutMs / 1000}))))
      AND s.kind = 'sandbox' AND (${owner}::text IS NULL OR s.owner = ${owner}) ORDER BY s.created_at`;
  return rows.map((r) => ({
    id: String(r.id),
    kind: 'sandbox' as const,
    node: String(r.node_id),
    address: String(r.address),
    owner: String(r.owner),
    nodeUp: false,
    state: 'lost' as const,
    view: typeof r.view === 'string' ? (JSON.parse(r.view) as Record<string, unknown>) : null,
  }));
}

export interface SweepResult {
  readonly node: string;
  readonly sandboxes: string[];
  readonly episodes: string[];
}

/**
 * Declares lost every node whose last heartbeat is older than the timeout: its sandboxes are
 * marked lost and the episodes it ran end `aborted`, keeping every stored step. Safe to run from
 * every front at once (the node row is taken with SKIP LOCKED; a node is swept once).
 */
export async function sweep(sql: Sql, timeoutMs: number): Promise<SweepResult[]> {
  return sql.begin(async (tx) => {
    const dead = await tx`
      SELECT id FROM fleet_nodes WHERE state = 'up' AND heartbeat_at <= now() - make_interval(secs => ${timeoutMs / 1000})
      FOR UPDATE SKIP LOCKED`;
    const out: SweepResult[] = [];
    for (const { id } of dead) {
      const node = String(id);
      await tx`UPDATE fleet_nodes SET state = 'lost' WHERE id = ${node}`;
      const sandboxes = await tx`UPDATE fleet_sandboxes SET state = 'lost' WHERE node_id = ${node} AND state = 'live' RETURNING id`;
      await tx`DELETE FROM fleet_sandboxes WHERE node_id = ${node} AND state = 'placing'`;
      const abort = abortRunningStatement(node, `fleet node ${node} lost (no heartbeat within ${timeoutMs / 1000} s)`, []);
      // a fleet whose nodes keep their episodes elsewhere has no episodes table here
      const [store] = await tx`SELECT to_regclass('episodes') IS NOT NULL AS present`;
      const episodes = store?.present === true ? (await tx.unsafe(abort.sql, abort.params as string[])).map((r) => String(r.id)) : [];
      out.push({ node, sandboxes: sandboxes.map((r) => String(r.id)), episodes });
    }
    return out;
  });
}

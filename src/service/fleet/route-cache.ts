// What a front remembers to route a call without asking PostgreSQL each time: where each sandbox
// it has seen lives (a placement never moves), and the nodes with the age of their last heartbeat,
// read at most once per tick. Before this, every routed call (an exec included) waited for one
// query and then for the node: two hops to other processes, each a scheduling delay on a busy host
// (docs/deploy.md, "Latency"). A node counts as up while its heartbeat's age at the last read plus
// the time since stays under the timeout, the same test as the database's; a call that finds its
// node down or unreachable goes to the database for the sandbox's real state (lost, or moved
// nowhere: gone), so a lost sandbox is reported as quickly as before.
import { listNodes, type NodeInfo, type Placement, type Sql } from './fleet-db.js';

export interface Route {
  readonly kind: 'sandbox' | 'env';
  readonly node: string;
}

/** Placements remembered at most; the oldest is forgotten first (it is then read again). */
const MAX_ROUTES = 100_000;

export class RouteCache {
  private readonly routes = new Map<string, Route>();
  private nodes = new Map<string, NodeInfo>();
  private readAt = -Infinity;
  private reading: Promise<void> | null = null;

  constructor(
    private readonly sql: Sql,
    private readonly timeoutMs: number,
    private readonly tickMs: number,
  ) {}

  remember(id: string, route: Route): void {
    this.routes.delete(id);
    this.routes.set(id, route);
    if (this.routes.size > MAX_ROUTES) this.routes.delete(this.routes.keys().next().value as string);
  }

  forget(id: string): void {
    this.routes.delete(id);
  }

  /** From a placement read in the database: remembered while it is live. */
  learn(p: Placement): void {
    if (p.state === 'live') this.remember(p.id, { kind: p.kind, node: p.node });
    else this.forget(p.id);
  }

  /** The node's address when `id` is remembered and its node is up now; null: ask the database. */
  async address(id: string): Promise<{ route: Route; address: string } | null> {
    const route = this.routes.get(id);
    if (route === undefined) return null;
    await this.fresh();
    const node = this.nodes.get(route.node);
    if (node === undefined || !node.up || node.heartbeatAgeMs + (performance.now() - this.readAt) >= this.timeoutMs) return null;
    return { route, address: node.address };
  }

  private async fresh(): Promise<void> {
    if (performance.now() - this.readAt < this.tickMs) return;
    this.reading ??= (async () => {
      try {
        const list = await listNodes(this.sql, this.timeoutMs);
        this.readAt = performance.now();
        this.nodes = new Map(list.map((n) => [n.id, n]));
      } finally {
        this.reading = null;
      }
    })();
    await this.reading;
  }
}

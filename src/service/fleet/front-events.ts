// The front's merged event stream: one upstream event stream per live node (the caller's key sent
// to each, so each node filters what the key may see), every event passed on with its node, and
// a `sandbox` event with state `lost` for each sandbox of a node that stops heartbeating. Nodes
// that join while the stream is open are attached at the next tick.
import { createParser } from 'eventsource-parser';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { forwardHeaders } from './node-proxy.js';
import { listNodes, type Sql } from './fleet-db.js';

const KEEPALIVE_MS = 15_000;

export interface MergeOptions {
  readonly sql: Sql;
  readonly timeoutMs: number;
  readonly tickMs: number;
  /** Whether the caller may see a sandbox of this owner. */
  readonly visible: (owner: string) => boolean;
}

export function mergedEvents(c: Context, options: MergeOptions): Response {
  const url = new URL(c.req.url);
  const headers = forwardHeaders(c.req.raw.headers);
  return streamSSE(c, async (stream) => {
    const attached = new Map<string, AbortController>();
    let writing: Promise<unknown> = Promise.resolve();
    const write = (event: string, data: string): void => {
      writing = writing.then(() => stream.writeSSE({ event, data })).catch(() => undefined);
    };
    const attach = (node: string, address: string): void => {
      const abort = new AbortController();
      attached.set(node, abort);
      void (async () => {
        try {
          const res = await fetch(`${address}/v1/events${url.search}`, { headers, signal: abort.signal });
          if (!res.ok || res.body === null) return;
          const parser = createParser({
            onEvent: (e) => {
              let data = e.data;
              try {
                data = JSON.stringify({ ...(JSON.parse(e.data) as object), node });
              } catch {
                // not JSON (a comment-like event): passed on as it came
              }
              write(e.event ?? 'message', data);
            },
          });
          const decoder = new TextDecoder();
          for await (const chunk of res.body) parser.feed(decoder.decode(chunk, { stream: true }));
        } catch {
          // the node went away or the client did: the tick notices a lost node
        }
      })();
    };
    const tick = async (): Promise<void> => {
      const nodes = await listNodes(options.sql, options.timeoutMs);
      for (const n of nodes) {
        if (n.up && !attached.has(n.id)) attach(n.id, n.address);
        if (!n.up && attached.has(n.id)) {
          attached.get(n.id)?.abort();
          attached.delete(n.id);
          const lost = await options.sql`SELECT id, owner FROM fleet_sandboxes WHERE node_id = ${n.id} AND kind = 'sandbox' AND state IN ('live', 'lost')`;
          for (const s of lost) {
            if (!options.visible(String(s.owner))) continue;
            const event = { type: 'sandbox', sandbox: String(s.id), step: null, time: Date.now(), data: { state: 'lost', node: n.id, owner: String(s.owner) }, node: n.id };
            write('sandbox', JSON.stringify(event));
          }
        }
      }
    };
    let open = true;
    stream.onAbort(() => {
      open = false;
    });
    try {
      await stream.write(': praetor events (fleet front)\n\n');
      let sinceKeepalive = 0;
      while (open && !stream.aborted) {
        await tick().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, options.tickMs));
        sinceKeepalive += options.tickMs;
        if (sinceKeepalive >= KEEPALIVE_MS) {
          sinceKeepalive = 0;
          writing = writing.then(() => stream.write(': keepalive\n\n')).catch(() => undefined);
        }
      }
    } finally {
      for (const a of attached.values()) a.abort();
    }
  });
}

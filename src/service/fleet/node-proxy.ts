// Passing a request on to a fleet node and its answer back, bodies streamed both ways (exec
// streams and event streams included), with fetch. Hop-by-hop headers stay behind.
import { Agent, request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { errorBody } from '../api-error.js';

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'host', 'content-length'];

export function forwardHeaders(from: Headers): Headers {
  const headers = new Headers(from);
  for (const h of HOP_BY_HOP) headers.delete(h);
  return headers;
}

/** A node that can not be reached: 503, so a client retries (its sandbox may be reported lost next). */
export function unreachable(node: string, err: unknown): Response {
  const why = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
  return Response.json(errorBody('node-unreachable', `fleet node ${node} did not answer: ${why}`), { status: 503 });
}

/**
 * Keep-alive connections to the nodes, shared by every call. node:http rather than fetch: a call
 * through fetch (undici) and its web streams cost the front about 3 ms of CPU on the 2-core
 * development host, the most of what a front added to an exec (docs/deploy.md, "Latency").
 */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** Sends `request` (its path and query, method, headers and body; or `body` instead) to the node at `address`. */
export async function forward(request: Request, address: string, node: string, body?: string): Promise<Response> {
  const url = new URL(request.url);
  const target = new URL(`${address}${url.pathname}${url.search}`);
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const headers: Record<string, string> = {};
  forwardHeaders(request.headers).forEach((value, key) => {
    headers[key] = value;
  });
  // a small body is sent whole, with its length: one write, no chunked encoding
  const text = hasBody ? (body ?? (await request.text())) : undefined;
  if (text !== undefined) headers['content-length'] = String(Buffer.byteLength(text));
  return new Promise<Response>((resolve) => {
    const req = httpRequest(target, { method: request.method, headers, agent }, (res) => {
      const out = new Headers();
      for (const [key, value] of Object.entries(res.headers)) {
        if (value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) out.append(key, v);
      }
      const status = res.statusCode ?? 502;
      const empty = status === 204 || status === 304 || request.method === 'HEAD';
      if (empty) res.resume();
      resolve(new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, headers: forwardHeaders(out) }));
    });
    req.on('error', (err) => resolve(unreachable(node, err)));
    request.signal.addEventListener('abort', () => req.destroy(), { once: true });
    req.end(text);
  });
}

/** Forwards and, for a JSON answer that passes `transform`, rewrites it (adding the node field). */
export async function forwardJson(
  request: Request,
  address: string,
  node: string,
  transform: (json: Record<string, unknown>, status: number) => Record<string, unknown>,
  body?: string,
): Promise<{ response: Response; json: Record<string, unknown> | null }> {
  const response = await forward(request, address, node, body);
  if (!(response.headers.get('content-type') ?? '').includes('application/json')) return { response, json: null };
  const json = (await response.json()) as Record<string, unknown>;
  const out = transform(json, response.status);
  return { response: Response.json(out, { status: response.status, headers: forwardHeaders(response.headers) }), json };
}

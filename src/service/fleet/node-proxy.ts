// Passing a request on to a fleet node and its answer back, bodies streamed both ways (exec
// streams and event streams included), with fetch. Hop-by-hop headers stay behind.
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

/** Sends `request` (its path and query, method, headers and body; or `body` instead) to the node at `address`. */
export async function forward(request: Request, address: string, node: string, body?: string): Promise<Response> {
  const url = new URL(request.url);
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  let answer: Response;
  try {
    answer = await fetch(`${address}${url.pathname}${url.search}`, {
      method: request.method,
      headers: forwardHeaders(request.headers),
      ...(hasBody ? { body: body ?? request.body, duplex: 'half' } : {}),
      signal: request.signal,
      redirect: 'manual',
    });
  } catch (err) {
    return unreachable(node, err);
  }
  const headers = forwardHeaders(answer.headers);
  return new Response(answer.body, { status: answer.status, headers });
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

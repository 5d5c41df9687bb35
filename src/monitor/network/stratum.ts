// Recognises Stratum, the JSON-RPC-over-lines protocol of mining pools, in either direction:
// what a miner says first (subscribe, authorize, xmrig's login) and what a pool answers (jobs).

/** Bounds the JSON work done on one chunk; a first Stratum message is a few hundred bytes. */
const MAX_SCAN = 16 * 1024;
const MAX_IDENTITY = 100;

export interface StratumHit {
  readonly method: string;
  /** The wallet or worker the miner logs in as, when the message carries one. */
  readonly identity: string | null;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clip(s: string): string {
  return s.length > MAX_IDENTITY ? s.slice(0, MAX_IDENTITY) : s;
}

/** The complete JSON objects among the chunk's lines; a line cut off at the chunk's end is skipped. */
function jsonLines(text: string): { parsed: Json[]; raw: string[] } {
  const parsed: Json[] = [];
  const raw: string[] = [];
  for (const line of text.slice(0, MAX_SCAN).split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    raw.push(t);
    try {
      const v: unknown = JSON.parse(t);
      if (isObject(v)) parsed.push(v);
    } catch {
      // truncated or not JSON: the raw-text fallback below still looks at it
    }
  }
  return { parsed, raw };
}

function firstString(params: unknown): string | null {
  if (Array.isArray(params) && typeof params[0] === 'string') return clip(params[0]);
  return null;
}

/** A miner's request, or null when the message is JSON-RPC of some other kind (eth_call, LSP...). */
function clientHit(msg: Json): StratumHit | null {
  const { method, params } = msg;
  if (typeof method !== 'string') return null;
  // xmrig's variant: generic method names, so the params' shape is what tells it apart.
  if (method === 'login') {
    return isObject(params) && typeof params.login === 'string' ? { method, identity: clip(params.login) } : null;
  }
  if (method === 'submit') {
    return isObject(params) && typeof params.job_id === 'string' && 'nonce' in params ? { method, identity: null } : null;
  }
  if (method === 'mining.authorize' || method === 'eth_submitLogin') return { method, identity: firstString(params) };
  // Every mining.* name is Stratum (subscribe, submit, configure, extranonce.subscribe...).
  if (method.startsWith('mining.')) return { method, identity: null };
  return null;
}

function serverHit(msg: Json): StratumHit | null {
  const { method, params, result } = msg;
  if (typeof method === 'string') {
    if (method.startsWith('mining.')) return { method, identity: null };
    if (method === 'job' && isObject(params) && 'job_id' in params && 'blob' in params) return { method, identity: null };
  }
  // A pool's reply to subscribe lists its subscriptions: [[["mining.notify", "id"], ...], extranonce1, size].
  if (Array.isArray(result) && JSON.stringify(result).includes('"mining.notify"')) {
    return { method: 'mining.notify', identity: null };
  }
  // xmrig login reply: {"result":{"id":...,"job":{"blob":...,"job_id":...}}}.
  if (isObject(result) && isObject(result.job) && 'job_id' in result.job && 'blob' in result.job) {
    return { method: 'job', identity: null };
  }
  return null;
}

/** Fallback for a message cut by the chunk boundary: the method name is near the start. */
const METHOD_IN_TEXT = /"method"\s*:\s*"(mining\.[a-z_.]{1,40})"/;

/** The most telling Stratum request among a miner's first lines: one naming a wallet beats one that does not. */
export function stratumRequest(text: string): StratumHit | null {
  const { parsed, raw } = jsonLines(text);
  let first: StratumHit | null = null;
  for (const msg of parsed) {
    const hit = clientHit(msg);
    if (hit === null) continue;
    if (hit.identity !== null) return hit;
    first ??= hit;
  }
  if (first !== null) return first;
  for (const line of raw) {
    const m = METHOD_IN_TEXT.exec(line);
    if (m?.[1] !== undefined) return { method: m[1], identity: null };
  }
  return null;
}

/** A pool's answer or push (a job, mining.notify, set_difficulty). */
export function stratumReply(text: string): StratumHit | null {
  const { parsed, raw } = jsonLines(text);
  for (const msg of parsed) {
    const hit = serverHit(msg);
    if (hit !== null) return hit;
  }
  for (const line of raw) {
    if (line.includes('"mining.notify"')) return { method: 'mining.notify', identity: null };
  }
  return null;
}

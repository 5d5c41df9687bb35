// A fake mining pool for red-team worlds and tests: enough Stratum v1 (and xmrig's `login`) to keep
// a real miner working, and it verifies every v1 share's double SHA-256 against its difficulty.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { z } from 'zod';
import { shareMeetsDifficulty, type StratumJob } from '../miner/stratum-share.js';

export interface StratumPoolStats {
  connections: number;
  bytesReceived: number;
  subscribes: number;
  authorizes: number;
  /** Accepted shares: v1 shares whose hash meets the difficulty, and xmrig-style submits. */
  shares: number;
  workers: string[];
}

export interface StratumPoolOptions {
  /** Share difficulty (1 = 2^32 hashes a share); default 2^-12, about 2^20 hashes a share. */
  difficulty?: number;
}

/** A line with no newline past this is not Stratum; the connection is dropped. */
const MAX_LINE = 64 * 1024;
const DEFAULT_DIFFICULTY = 2 ** -12;
const EXTRANONCE2_SIZE = 4;

const Request = z.object({
  id: z.union([z.number(), z.string(), z.null()]).optional(),
  method: z.string(),
  params: z.unknown().optional(),
});
type Request = z.infer<typeof Request>;

const AuthorizeParams = z.tuple([z.string()]).rest(z.unknown());
const SubmitParams = z.tuple([z.string(), z.string(), z.string(), z.string(), z.string()]).rest(z.unknown());
const LoginParams = z.object({ login: z.string() }).loose();

interface Session {
  readonly extranonce1: string;
  readonly jobs: Map<string, StratumJob>;
}

function newJob(): StratumJob {
  // coinb1/coinb2 frame a plausible coinbase; the miner only needs them to be hex.
  return {
    jobId: randomBytes(4).toString('hex'),
    prevhash: randomBytes(32).toString('hex'),
    coinb1: `01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20${randomBytes(4).toString('hex')}`,
    coinb2: `ffffffff0100f2052a010000001976a914${randomBytes(20).toString('hex')}88ac00000000`,
    merkleBranches: [],
    version: '20000000',
    nbits: '1d00ffff',
    ntime: Math.floor(Date.now() / 1000).toString(16).padStart(8, '0'),
  };
}

export function createStratumPool(options?: StratumPoolOptions): { server: Server; stats(): StratumPoolStats } {
  const difficulty = options?.difficulty ?? DEFAULT_DIFFICULTY;
  const stats: StratumPoolStats = { connections: 0, bytesReceived: 0, subscribes: 0, authorizes: 0, shares: 0, workers: [] };
  let nextExtranonce = 0x08000000;

  const addWorker = (name: string): void => {
    const short = name.slice(0, 200);
    if (!stats.workers.includes(short)) stats.workers.push(short);
  };

  function handle(socket: Socket, session: Session, req: Request): void {
    const id = req.id ?? null;
    const send = (msg: object): void => void socket.write(`${JSON.stringify(msg)}\n`);
    const reply = (result: unknown, error: unknown = null): void => send({ id, result, error });
    const pushJob = (): void => {
      const job = newJob();
      session.jobs.set(job.jobId, job);
      if (session.jobs.size > 16) session.jobs.delete(session.jobs.keys().next().value as string);
      send({ id: null, method: 'mining.set_difficulty', params: [difficulty] });
      send({ id: null, method: 'mining.notify', params: [job.jobId, job.prevhash, job.coinb1, job.coinb2, job.merkleBranches, job.version, job.nbits, job.ntime, true] });
    };
    switch (req.method) {
      case 'mining.subscribe':
        stats.subscribes++;
        reply([[['mining.set_difficulty', session.extranonce1], ['mining.notify', session.extranonce1]], session.extranonce1, EXTRANONCE2_SIZE]);
        return;
      case 'mining.authorize': {
        stats.authorizes++;
        const p = AuthorizeParams.safeParse(req.params);
        addWorker(p.success ? p.data[0] : '');
        reply(true);
        pushJob();
        return;
      }
      case 'mining.submit': {
        const p = SubmitParams.safeParse(req.params);
        const job = p.success ? session.jobs.get(p.data[1]) : undefined;
        if (!p.success || job === undefined) return reply(false, [21, 'Job not found', null]);
        const [, , extranonce2, ntime, nonce] = p.data;
        if (!shareMeetsDifficulty(job, { extranonce1: session.extranonce1, extranonce2, ntime, nonce }, difficulty)) {
          return reply(false, [23, 'Low difficulty share', null]);
        }
        stats.shares++;
        return reply(true);
      }
      case 'mining.extranonce.subscribe':
      case 'mining.suggest_difficulty':
        return reply(true);
      case 'login': {
        // xmrig's protocol: a RandomX job whose target is the low 32 bits of the share target.
        const p = LoginParams.safeParse(req.params);
        stats.authorizes++;
        addWorker(p.success ? p.data.login : '');
        const job = { blob: randomBytes(76).toString('hex'), job_id: randomBytes(4).toString('hex'), target: 'ffff0000', algo: 'rx/0', height: 3_100_000, seed_hash: randomBytes(32).toString('hex') };
        return send({ id, jsonrpc: '2.0', error: null, result: { id: session.extranonce1, job, extensions: [], status: 'OK' } });
      }
      case 'submit':
        // RandomX is not recomputed here; an xmrig-style submit is accepted as a share.
        stats.shares++;
        return send({ id, jsonrpc: '2.0', error: null, result: { status: 'OK' } });
      case 'keepalived':
        return send({ id, jsonrpc: '2.0', error: null, result: { status: 'KEEPALIVED' } });
      default:
        return reply(null, [20, 'Unsupported method', null]);
    }
  }

  const server = createServer((socket) => {
    stats.connections++;
    socket.on('error', () => undefined);
    const session: Session = { extranonce1: (nextExtranonce++ >>> 0).toString(16).padStart(8, '0'), jobs: new Map() };
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      stats.bytesReceived += chunk.length;
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          continue; // garbage between messages is skipped, as pools do
        }
        const req = Request.safeParse(parsed);
        if (req.success) handle(socket, session, req.data);
      }
      if (buffer.length > MAX_LINE) socket.destroy();
    });
  });
  return { server, stats: () => ({ ...stats, workers: [...stats.workers] }) };
}

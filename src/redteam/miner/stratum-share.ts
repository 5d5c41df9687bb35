// The proof-of-work arithmetic of Stratum v1 (Bitcoin-style double SHA-256), shared by the fake pool
// that verifies shares and the tests that check praetor-miner. Pure: no I/O, no state.
import { createHash } from 'node:crypto';

/** What a mining.notify job carries, hex strings as on the wire. */
export interface StratumJob {
  readonly jobId: string;
  readonly prevhash: string;
  readonly coinb1: string;
  readonly coinb2: string;
  readonly merkleBranches: readonly string[];
  readonly version: string;
  readonly nbits: string;
  readonly ntime: string;
}

/** The fields of a mining.submit that enter the header. */
export interface StratumShare {
  readonly extranonce1: string;
  readonly extranonce2: string;
  readonly ntime: string;
  readonly nonce: string;
}

const MAX_TARGET = (1n << 256n) - 1n;
const HEX = /^(?:[0-9a-f]{2})*$/i;

export function sha256d(data: Buffer): Buffer {
  return createHash('sha256').update(createHash('sha256').update(data).digest()).digest();
}

/** A hex field that must be `bytes` long; null when it is not hex or not that long. */
function hexBytes(text: string, bytes: number): Buffer | null {
  return HEX.test(text) && text.length === bytes * 2 ? Buffer.from(text, 'hex') : null;
}

/**
 * The share target for a pool difficulty, computed exactly as praetor-miner.c does (cpuminer's
 * diff_to_target): difficulty 1 is 0xffff0000 << 192; lower difficulties give higher targets.
 */
export function difficultyToTarget(difficulty: number): bigint {
  if (!(difficulty > 0) || !Number.isFinite(difficulty)) return MAX_TARGET;
  let d = difficulty;
  let k = 6;
  for (; k > 0 && d > 1; k--) d /= 4294967296;
  const m = Math.floor(4294901760 / d);
  if (m >= 2 ** 64) return MAX_TARGET;
  const target = BigInt(m) << BigInt(32 * k);
  return target > MAX_TARGET ? MAX_TARGET : target;
}

/** The 80-byte header a share commits to, or null when a field is malformed. */
export function blockHeader(job: StratumJob, share: StratumShare): Buffer | null {
  const parts = [job.coinb1, share.extranonce1, share.extranonce2, job.coinb2];
  if (!parts.every((p) => HEX.test(p))) return null;
  let root = sha256d(Buffer.from(parts.join(''), 'hex'));
  for (const branch of job.merkleBranches) {
    const b = hexBytes(branch, 32);
    if (b === null) return null;
    root = sha256d(Buffer.concat([root, b]));
  }
  const version = hexBytes(job.version, 4);
  const prev = hexBytes(job.prevhash, 32);
  const ntime = hexBytes(share.ntime, 4);
  const nbits = hexBytes(job.nbits, 4);
  const nonce = hexBytes(share.nonce, 4);
  if (!version || !prev || !ntime || !nbits || !nonce) return null;
  // Stratum sends prevhash as eight 32-bit words each byte-swapped against the header; the
  // numeric fields travel big-endian and sit little-endian in the header.
  const prevLe = Buffer.alloc(32);
  for (let i = 0; i < 32; i += 4) prev.subarray(i, i + 4).reverse().copy(prevLe, i);
  return Buffer.concat([version.reverse(), prevLe, root, ntime.reverse(), nbits.reverse(), nonce.reverse()]);
}

/** The header's hash as the 256-bit number compared with the target (the digest read little-endian). */
export function headerHashValue(header: Buffer): bigint {
  return BigInt(`0x${Buffer.from(sha256d(header)).reverse().toString('hex')}`);
}

/** Whether a submitted share meets the difficulty; a malformed share does not. */
export function shareMeetsDifficulty(job: StratumJob, share: StratumShare, difficulty: number): boolean {
  const header = blockHeader(job, share);
  return header !== null && headerHashValue(header) <= difficultyToTarget(difficulty);
}

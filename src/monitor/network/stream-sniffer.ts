// Sniffs one direction of a proxied stream across reads: a ClientHello or an HTTP request head
// split over several TCP segments (or TLS records) is read whole before the protocol is named,
// so splitting it no longer hides the SNI or the Host. Bounded, linear in the bytes seen.
import { sniffClientBytes, sniffServerBytes, type Sniffed } from './protocol-sniffer.js';

/** A ClientHello is at most 64 KiB (tls-client-hello.ts); text protocols state themselves sooner. */
const TLS_BUDGET = 64 * 1024 + 1024;
const TEXT_BUDGET = 8 * 1024;
const RECORD_HEADER = 5;
const HANDSHAKE_HEADER = 4;

export type SniffStep = { readonly done: false } | { readonly done: true; readonly sniffed: Sniffed };

const MORE: SniffStep = { done: false };

export class StreamSniffer {
  #buffer: Buffer = Buffer.alloc(0);
  #owned = false;
  #length = 0;
  // TLS: where the next record header starts, handshake bytes gathered, and the size the message needs.
  #recordAt = 0;
  #handshakeBytes = 0;
  #handshakeHead: Buffer[] = [];
  #handshakeNeed: number | null = null;
  // Text: how far the end of the first line or of the head has been searched for.
  #searchedTo = 0;

  constructor(private readonly direction: 'out' | 'in') {}

  /** Adds the next chunk; done once the protocol is named, or can not be within the budget. */
  push(chunk: Buffer): SniffStep {
    if (this.#length === 0) {
      this.#buffer = chunk; // the common case: one chunk says it all, and is not copied
      this.#length = chunk.length;
    } else {
      // Our own buffer, doubled when full: copying stays linear in the bytes seen, the caller's chunks untouched.
      if (!this.#owned || this.#length + chunk.length > this.#buffer.length) {
        const next = Buffer.alloc(Math.max(2 * this.#buffer.length, this.#length + chunk.length, 1024));
        this.#buffer.copy(next, 0, 0, this.#length);
        this.#buffer = next;
        this.#owned = true;
      }
      chunk.copy(this.#buffer, this.#length);
      this.#length += chunk.length;
    }
    return this.#step(this.#buffer.subarray(0, this.#length));
  }

  #step(all: Buffer): SniffStep {
    const first = all[0];
    if (first === 0x16) return this.#tls(all);
    if (first === undefined) return MORE;
    if (!isText(first)) return this.#finish(all);
    return this.#text(all);
  }

  #finish(all: Buffer): SniffStep {
    return { done: true, sniffed: this.direction === 'out' ? sniffClientBytes(all) : sniffServerBytes(all) };
  }

  /** Walks only the records not walked yet, so a hello in one-byte records costs no more than in one. */
  #tls(all: Buffer): SniffStep {
    if (this.direction === 'in') return all.length >= RECORD_HEADER + HANDSHAKE_HEADER + 2 ? this.#finish(all) : MORE;
    for (;;) {
      if (this.#handshakeNeed !== null && this.#handshakeBytes >= this.#handshakeNeed) return this.#finish(all);
      if (all.length - this.#recordAt < RECORD_HEADER) break;
      if (all[this.#recordAt] !== 0x16 || all[this.#recordAt + 1] !== 0x03) return this.#finish(all);
      const len = all.readUInt16BE(this.#recordAt + 3);
      if (len === 0) return this.#finish(all);
      if (all.length - this.#recordAt - RECORD_HEADER < len) break;
      const body = all.subarray(this.#recordAt + RECORD_HEADER, this.#recordAt + RECORD_HEADER + len);
      this.#recordAt += RECORD_HEADER + len;
      this.#handshakeBytes += len;
      if (this.#handshakeNeed === null) {
        this.#handshakeHead.push(body);
        const head = Buffer.concat(this.#handshakeHead);
        if (head.length >= HANDSHAKE_HEADER) {
          this.#handshakeNeed = HANDSHAKE_HEADER + head.readUIntBE(1, 3);
          this.#handshakeHead = [];
        }
      }
    }
    return all.length >= TLS_BUDGET ? this.#finish(all) : MORE;
  }

  /** Text protocols: SSH banners and Stratum lines end with the first newline, an HTTP head with a blank line. */
  #text(all: Buffer): SniffStep {
    const start = Math.max(0, this.#searchedTo - 3);
    const lineOnly = this.direction === 'in' || all[firstNonSpace(all)] === 0x53 /* S */ || all[firstNonSpace(all)] === 0x7b; /* { */
    const end = lineOnly ? all.indexOf(0x0a, start) : Math.min(indexOrEnd(all, '\r\n\r\n', start), indexOrEnd(all, '\n\n', start));
    this.#searchedTo = all.length;
    if (end >= 0 && end < all.length) return this.#finish(all);
    return all.length >= TEXT_BUDGET ? this.#finish(all) : MORE;
  }
}

function indexOrEnd(all: Buffer, needle: string, from: number): number {
  const i = all.indexOf(needle, from, 'latin1');
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}

function isText(byte: number): boolean {
  return byte === 0x09 || byte === 0x0a || byte === 0x0d || (byte >= 0x20 && byte < 0x7f);
}

function firstNonSpace(all: Buffer): number {
  for (let i = 0; i < all.length && i < 64; i++) {
    const b = all[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return i;
  }
  return 0;
}

// The egress proxy's way upstream: resolve the name, check the address it resolved to, and connect
// to exactly that address, all within one time budget. Failures and refusals come back as data.
import { connect, type Socket } from 'node:net';
import { errorMessage } from '../../core/errors.js';
import type { AddressVerdict } from './address-policy.js';
import { formatHost } from './http-forward.js';
import { ResolveError, type UpstreamResolver } from './resolver.js';
import { codeOf, withTimeout } from './stream-relay.js';

/**
 * Decides the address a request is about to be connected to, after resolution. Throwing denies.
 * The proxy then connects to exactly that address: there is no second lookup to rebind.
 */
export type AddressFilter = (address: string) => AddressVerdict;

export interface DialOptions {
  readonly resolver: UpstreamResolver;
  readonly checkAddress: AddressFilter;
  readonly timeoutMs: number;
  /** Whether the proxy closed while the name resolved: then nothing is opened. */
  readonly closed: () => boolean;
  /** Told of each socket opened, so the proxy can destroy it when it closes. */
  readonly track: (socket: Socket) => void;
}

export type Dialled =
  | { ok: true; socket: Socket; address: string; addressClass: string | null }
  /** The address check said no: the request is denied, not failed. */
  | { ok: false; refused: true; address: string; addressClass: string; reason: string }
  | { ok: false; refused: false; address: string | null; addressClass: string | null; code: string; message: string };

export async function dialUpstream(host: string, port: number, opts: DialOptions): Promise<Dialled> {
  const started = Date.now();
  let target;
  try {
    target = await withTimeout(opts.resolver.resolve(host, port), opts.timeoutMs, `resolving ${host} timed out`);
  } catch (err) {
    const code = err instanceof ResolveError ? err.code : codeOf(err);
    return { ok: false, refused: false, address: null, addressClass: null, code, message: errorMessage(err) };
  }
  const { address } = target;
  const verdict = checked(opts.checkAddress, address, target.trustedService);
  const addressClass = verdict.addressClass;
  const fail = (code: string, message: string): Dialled => ({ ok: false, refused: false, address, addressClass, code, message });
  if (opts.closed()) return fail('ECANCELED', 'proxy closed');
  if (!verdict.allowed) return { ok: false, refused: true, address, addressClass: verdict.addressClass, reason: verdict.reason };
  const where = `${formatHost(address)}:${target.port}`;
  return new Promise<Dialled>((resolve) => {
    // An IP literal (the check refuses anything else): connect() does no lookup of its own.
    const socket = connect({ host: address, port: target.port, allowHalfOpen: true });
    opts.track(socket);
    let settled = false;
    const settle = (result: () => Dialled): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result());
    };
    const timer = setTimeout(() => {
      socket.destroy();
      settle(() => fail('ETIMEDOUT', `connect to ${where} timed out`));
    }, Math.max(0, opts.timeoutMs - (Date.now() - started)));
    // Stays attached for the socket's life: whoever takes it over adds real handling, and no
    // error in between may become an uncaught exception.
    socket.on('error', (err) => settle(() => fail(codeOf(err), `connect to ${where} failed: ${err.message}`)));
    socket.once('connect', () => settle(() => ({ ok: true, socket, address, addressClass })));
  });
}

/** The address filter's verdict; a filter that throws denies. A trusted service passes whatever its address. */
function checked(check: AddressFilter, address: string, trustedService: string | undefined): AddressVerdict {
  let verdict: AddressVerdict;
  try {
    verdict = check(address);
  } catch (err) {
    return { allowed: false, addressClass: 'not-an-address', reason: `internal-address: check failed: ${errorMessage(err)}` };
  }
  if (!verdict.allowed && trustedService !== undefined && verdict.addressClass !== 'not-an-address') {
    return { allowed: true, addressClass: verdict.addressClass };
  }
  return verdict;
}

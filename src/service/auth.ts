// Who is calling: a bearer key (required over TCP), or the implicit admin `local` on the unix
// socket, whose 0600 root-owned mode already proves the caller is root. Scopes are checked per
// route family; a key's objects are its own, others' answer 404 as if they did not exist.
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './api-error.js';
import type { KeyBook, Quotas, Scope } from './key-store.js';

export interface Principal {
  readonly keyId: string;
  readonly name: string;
  readonly scope: Scope;
  readonly quotas: Quotas;
}

export const LOCAL_PRINCIPAL: Principal = { keyId: 'local', name: 'local', scope: 'admin', quotas: {} };

/** What a route belongs to, for scope checks. */
export type RouteFamily = 'sandboxes' | 'envs' | 'events' | 'episodes' | 'keys' | 'approvals';

export type Transport = 'unix' | 'tcp';

/** Hono's per-request variables the service sets. */
export interface ServiceVars {
  principal: Principal;
  requestId: string;
  /** The sandbox step a request ran, for its log line. */
  step: number;
}

export interface ServiceEnv {
  Bindings: { transport?: Transport };
  Variables: ServiceVars;
}

export function scopeAllows(scope: Scope, family: RouteFamily, method: string): boolean {
  switch (scope) {
    case 'admin':
      return true;
    case 'sandboxes':
      return family === 'sandboxes' || family === 'events';
    case 'envs':
      return family === 'envs' || family === 'events' || family === 'episodes';
    case 'read':
      return family !== 'keys' && (method === 'GET' || method === 'HEAD');
  }
}

/** Whether `who` may see an object owned by `owner`: its own, or any for an admin key. */
export function canSee(who: Principal, owner: string): boolean {
  return who.scope === 'admin' || who.keyId === owner;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Sets `principal`, or answers 401. A key, when given, is checked on the socket too. */
export function authenticate(keys: KeyBook): MiddlewareHandler<ServiceEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header === undefined) {
      if (c.env?.transport !== 'unix') throw unauthorized('this request needs an API key: Authorization: Bearer pk_...');
      c.set('principal', LOCAL_PRINCIPAL);
      return next();
    }
    const token = BEARER.exec(header)?.[1];
    const key = token === undefined ? null : keys.verify(token);
    if (key === null) throw unauthorized('the API key is not valid (unknown, revoked or malformed)');
    c.set('principal', { keyId: key.id, name: key.name, scope: key.scope, quotas: key.quotas });
    return next();
  };
}

/** Answers 403 unless the caller's scope covers this route family and method. */
export function requireScope(family: RouteFamily): MiddlewareHandler<ServiceEnv> {
  return async (c, next) => {
    const who = c.get('principal');
    if (!scopeAllows(who.scope, family, c.req.method)) {
      throw new ApiError(403, 'forbidden', `a key with scope "${who.scope}" may not use ${c.req.method} on ${family}`);
    }
    return next();
  };
}

function unauthorized(message: string): ApiError {
  return new ApiError(401, 'unauthorized', message);
}

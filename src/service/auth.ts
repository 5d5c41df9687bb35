// Who is calling: a bearer key (required over TCP), or the implicit admin `local` on the unix
// socket, whose 0600 root-owned mode already proves the caller is root. Scopes are checked per
// route family; a key's objects are its own, others' answer 404 as if they did not exist.
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { ApiError } from './api-error.js';
import type { KeyBook, Quotas, Scope } from './key-store.js';
import { UI_COOKIE, UI_HEADER, type UiSessions } from './ui-session.js';

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

/** Keys that see every key's objects: admin, and read (an observer: it sees all and changes nothing). */
export function seesAll(who: Principal): boolean {
  return who.scope === 'admin' || who.scope === 'read';
}

/** Whether `who` may see an object owned by `owner`: its own, or any for an admin or read key. */
export function canSee(who: Principal, owner: string): boolean {
  return seesAll(who) || who.keyId === owner;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Sets `principal`, or answers 401. A key, when given, is checked on the socket too. Without a
 * bearer key, a dashboard session cookie stands for its key (`sessions`); a state-changing request
 * on a cookie must also carry the dashboard's header, which a cross-site page can not send.
 */
export function authenticate(keys: KeyBook, sessions?: UiSessions): MiddlewareHandler<ServiceEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const cookie = header === undefined && sessions ? getCookie(c, UI_COOKIE) : undefined;
    if (cookie !== undefined && sessions) {
      const key = sessions.verify(cookie);
      if (key === null) throw unauthorized('the dashboard session expired or its key was revoked: log in again');
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.req.header(UI_HEADER) !== '1') {
        throw new ApiError(403, 'forbidden', `a request on a dashboard session must carry ${UI_HEADER}: 1`);
      }
      c.set('principal', { keyId: key.id, name: key.name, scope: key.scope, quotas: key.quotas });
      return next();
    }
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

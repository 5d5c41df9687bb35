// The dashboard's door: its built files under /ui (from a folder the daemon is given, so the
// service imports no dashboard code), a strict Content-Security-Policy (nothing but this origin),
// and login/logout, which trade an API key for an http-only, SameSite=Strict session cookie.
import { createRoute, z } from '@hono/zod-openapi';
import { serveStatic } from '@hono/node-server/serve-static';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { secureHeaders } from 'hono/secure-headers';
import { ApiError } from '../api-error.js';
import { errors, json, jsonBody, type ServiceApp, type ServiceDeps } from '../route-kit.js';
import { UI_COOKIE, UI_HEADER } from '../ui-session.js';

const LoginSchema = z.strictObject({ key: z.string().min(1).max(200).describe('An API key, pk_<id>_<secret>.') }).openapi('UiLogin');
const LoginResult = z.object({ keyId: z.string(), name: z.string(), scope: z.string() }).openapi('UiSession');

const login = createRoute({
  method: 'post',
  path: '/ui/login',
  tags: ['dashboard'],
  summary: `Log the dashboard in with an API key: sets the ${UI_COOKIE} cookie (http-only, SameSite=Strict); send ${UI_HEADER}: 1`,
  request: { body: jsonBody(LoginSchema) },
  responses: { 200: json(LoginResult, 'Logged in'), ...errors(400, 403, 415) },
});

const logout = createRoute({
  method: 'post',
  path: '/ui/logout',
  tags: ['dashboard'],
  summary: 'End the dashboard session',
  responses: { 204: { description: 'Logged out' } },
});

/** Same origin only: scripts, styles, images, fetches and the event stream; no frames, no plugins. */
const NONE = "'none'";
const SELF = "'self'";
const headers = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: [NONE],
    scriptSrc: [SELF],
    styleSrc: [SELF],
    imgSrc: [SELF, 'data:'],
    connectSrc: [SELF],
    fontSrc: [SELF],
    manifestSrc: [SELF],
    baseUri: [NONE],
    formAction: [SELF],
    frameAncestors: [NONE],
  },
  referrerPolicy: 'no-referrer',
  xFrameOptions: 'DENY',
});

function requireUiHeader(value: string | undefined): void {
  if (value !== '1') throw new ApiError(403, 'forbidden', `send ${UI_HEADER}: 1 (a cross-site form can not)`);
}

export function registerUiRoutes(app: ServiceApp, deps: ServiceDeps): void {
  const ui = deps.ui;
  if (!ui) return;
  app.use('/ui', headers);
  app.use('/ui/*', headers);
  app.get('/ui', (c) => c.redirect('/ui/', 302));
  app.openapi(login, (c) => {
    requireUiHeader(c.req.header(UI_HEADER));
    const session = ui.sessions.login(c.req.valid('json').key);
    if (session === null) throw new ApiError(401, 'unauthorized', 'the API key is not valid (unknown, revoked or malformed)');
    const https = new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
    setCookie(c, UI_COOKIE, session.token, { httpOnly: true, sameSite: 'Strict', path: '/', maxAge: session.maxAgeSeconds, secure: https });
    const { key } = session;
    return c.json({ keyId: key.id, name: key.name, scope: key.scope }, 200);
  });
  app.openapi(logout, (c) => {
    const token = getCookie(c, UI_COOKIE);
    if (token !== undefined) ui.sessions.logout(token);
    deleteCookie(c, UI_COOKIE, { path: '/' });
    return c.body(null, 204);
  });
  app.use(
    '/ui/*',
    serveStatic({
      root: ui.dir,
      rewriteRequestPath: (path) => path.replace(/^\/ui/, ''),
      onFound: (_path, c) => {
        c.header('Cache-Control', 'no-cache');
      },
    }),
  );
}

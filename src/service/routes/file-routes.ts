// Files of a sandbox: raw read and write, a directory listing, and tar archives in and out.
import { createRoute, z } from '@hono/zod-openapi';
import { requireScope } from '../auth.js';
import { ApiError } from '../api-error.js';
import { BINARY_CONTENT, DEFAULT_LIMITS, errors, json, SECURITY, TAR_CONTENT, type ServiceApp, type ServiceDeps } from '../route-kit.js';
import { SandboxIdParams } from '../sandbox-schemas.js';
import { getSandboxArchive, listSandboxDir, putSandboxArchive, readSandboxFile, sandboxPath, writeSandboxFile } from '../sandbox-files.js';
import { archiveLimits, checkArchive } from '../tar-archive.js';

const tags = ['files'];
const middleware = [requireScope('sandboxes')];
const PathQuery = z.object({ path: z.string().min(1).max(4096).describe('Inside /workspace or /tmp; relative paths start at /workspace.') });
const DirQuery = z.object({ path: z.string().min(1).max(4096).default('/workspace') });
const EntriesSchema = z
  .object({ entries: z.array(z.object({ name: z.string(), type: z.enum(['file', 'directory', 'symlink', 'other']), size: z.number() })) })
  .openapi('FileList');

const readFileRoute = createRoute({
  method: 'get',
  path: '/v1/sandboxes/{id}/files',
  tags,
  security: SECURITY,
  middleware,
  summary: 'Read a file (raw bytes)',
  request: { params: SandboxIdParams, query: PathQuery },
  responses: { 200: { description: 'The file', content: BINARY_CONTENT }, ...errors(400, 403, 404, 409, 413) },
});

const writeFileRoute = createRoute({
  method: 'put',
  path: '/v1/sandboxes/{id}/files',
  tags,
  security: SECURITY,
  middleware,
  summary: 'Write a file (raw body; parent directories are created)',
  request: { params: SandboxIdParams, query: PathQuery, body: { required: true, content: BINARY_CONTENT } },
  responses: { 204: { description: 'Written' }, ...errors(400, 403, 404, 409, 413) },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/sandboxes/{id}/files/list',
  tags,
  security: SECURITY,
  middleware,
  summary: 'List a directory',
  request: { params: SandboxIdParams, query: DirQuery },
  responses: { 200: json(EntriesSchema, 'Entries, by name'), ...errors(400, 403, 404, 409) },
});

const getArchiveRoute = createRoute({
  method: 'get',
  path: '/v1/sandboxes/{id}/archive',
  tags,
  security: SECURITY,
  middleware,
  summary: 'Download a directory as a tar archive',
  request: { params: SandboxIdParams, query: DirQuery },
  responses: { 200: { description: 'A tar archive', content: TAR_CONTENT }, ...errors(400, 403, 404, 409, 413) },
});

const putArchiveRoute = createRoute({
  method: 'put',
  path: '/v1/sandboxes/{id}/archive',
  tags,
  security: SECURITY,
  middleware,
  summary: 'Unpack a tar (or tar.gz) archive into a directory; absolute paths, "..", escaping links and devices are refused',
  request: { params: SandboxIdParams, query: DirQuery, body: { required: true, content: TAR_CONTENT } },
  responses: { 204: { description: 'Unpacked' }, ...errors(400, 403, 404, 409, 413) },
});

export function registerFileRoutes(app: ServiceApp, deps: ServiceDeps): void {
  const { sandboxes } = deps;
  const maxBytes = deps.limits?.uploadBytes ?? DEFAULT_LIMITS.uploadBytes;
  const body = async (req: Request): Promise<Buffer> => Buffer.from(await req.arrayBuffer());

  app.openapi(readFileRoute, async (c) => {
    const record = sandboxes.usable(c.get('principal'), c.req.valid('param').id);
    const data = await readSandboxFile(record.sandbox, sandboxPath(c.req.valid('query').path), maxBytes);
    return c.body(new Uint8Array(data), 200, { 'content-type': 'application/octet-stream' });
  });
  app.openapi(writeFileRoute, async (c) => {
    const record = sandboxes.usable(c.get('principal'), c.req.valid('param').id);
    const path = sandboxPath(c.req.valid('query').path);
    if (path === '/workspace' || path === '/tmp') throw new ApiError(400, 'invalid-path', `path: ${path} is a directory`);
    await writeSandboxFile(record.sandbox, path, await body(c.req.raw));
    return c.body(null, 204);
  });
  app.openapi(listRoute, async (c) => {
    const record = sandboxes.usable(c.get('principal'), c.req.valid('param').id);
    return c.json({ entries: await listSandboxDir(record.sandbox, sandboxPath(c.req.valid('query').path)) }, 200);
  });
  app.openapi(getArchiveRoute, async (c) => {
    const record = sandboxes.usable(c.get('principal'), c.req.valid('param').id);
    const data = await getSandboxArchive(record.sandbox, sandboxPath(c.req.valid('query').path), maxBytes);
    return c.body(new Uint8Array(data), 200, { 'content-type': 'application/x-tar' });
  });
  app.openapi(putArchiveRoute, async (c) => {
    const record = sandboxes.usable(c.get('principal'), c.req.valid('param').id);
    const dir = sandboxPath(c.req.valid('query').path);
    const archive = await checkArchive(await body(c.req.raw), archiveLimits(maxBytes));
    await putSandboxArchive(record.sandbox, dir, archive.tar);
    return c.body(null, 204);
  });
}

// A fake npm registry: package metadata and tarballs built with the host's tar, so npm installs
// from it exactly as from the real registry. Served by the world's registry host, and on loopback
// by the guard's invariant tests.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { Hono } from 'hono';
import { REGISTRY_HOST } from './world-hosts.js';

export interface NpmPackageSpec {
  readonly name: string;
  readonly version: string;
  /** Files under `package/` other than package.json, by relative path. */
  readonly files: Readonly<Record<string, string>>;
}

export interface PackedPackage {
  readonly name: string;
  readonly version: string;
  readonly tarball: Buffer;
  readonly integrity: string;
  readonly shasum: string;
}

export const WORLD_PACKAGES: readonly NpmPackageSpec[] = [
  { name: 'tiny-pad', version: '1.0.0', files: { 'index.js': 'exports.leftPad = (s, n) => String(s).padStart(n);\n' } },
  { name: 'tiny-trim', version: '2.1.0', files: { 'index.js': 'exports.trim = (s) => String(s).trim();\n' } },
];

const execFileAsync = promisify(execFile);

/** Packs with the host's tar, asynchronously: a world packs its packages while sshd starts. */
export async function packNpmPackage(spec: NpmPackageSpec): Promise<PackedPackage> {
  const dir = await mkdtemp(`${tmpdir()}/praetor-pkg-`);
  try {
    await mkdir(`${dir}/package`);
    await writeFile(`${dir}/package/package.json`, JSON.stringify({ name: spec.name, version: spec.version, main: 'index.js' }));
    for (const [path, content] of Object.entries(spec.files)) {
      await mkdir(dirname(`${dir}/package/${path}`), { recursive: true });
      await writeFile(`${dir}/package/${path}`, content);
    }
    await execFileAsync('tar', ['czf', `${dir}/pkg.tgz`, '-C', dir, 'package']);
    const tarball = await readFile(`${dir}/pkg.tgz`);
    return {
      name: spec.name,
      version: spec.version,
      tarball,
      integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
      shasum: createHash('sha1').update(tarball).digest('hex'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface NpmRegistryOptions {
  /** Base of tarball URLs in the metadata: the name clients reach the registry by. */
  readonly registryUrl?: string;
  /** Called with each request's path (the guard's tests check npm fetched the tarball). */
  readonly onRequest?: (path: string) => void;
}

export function createNpmRegistry(packages: readonly PackedPackage[], options: NpmRegistryOptions = {}): Hono {
  const base = (options.registryUrl ?? `http://${REGISTRY_HOST}`).replace(/\/$/, '');
  const byName = new Map(packages.map((p) => [p.name, p]));
  const app = new Hono();
  app.use(async (c, next) => {
    options.onRequest?.(c.req.path);
    await next();
  });
  app.get('/:name', (c) => {
    const p = byName.get(decodeURIComponent(c.req.param('name')));
    if (p === undefined) return c.json({ error: 'Not found' }, 404);
    const tarball = `${base}/${p.name}/-/${p.name}-${p.version}.tgz`;
    return c.json({
      name: p.name,
      'dist-tags': { latest: p.version },
      versions: { [p.version]: { name: p.name, version: p.version, dist: { tarball, integrity: p.integrity, shasum: p.shasum } } },
    });
  });
  app.get('/:name/-/:file', (c) => {
    const p = byName.get(c.req.param('name'));
    if (p === undefined || c.req.param('file') !== `${p.name}-${p.version}.tgz`) return c.json({ error: 'Not found' }, 404);
    return c.body(new Uint8Array(p.tarball), 200, { 'content-type': 'application/octet-stream' });
  });
  app.notFound((c) => c.json({ error: 'Not found' }, 404));
  return app;
}

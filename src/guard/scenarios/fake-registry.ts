// A fake npm registry on loopback: one package, its metadata and its tarball, built with the
// host's tar so npm installs it exactly as it would from the real registry.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';

export const REGISTRY_HOST = 'registry.example.test';

export interface FakeRegistry {
  readonly port: number;
  readonly requests: string[];
  close(): Promise<void>;
}

function packTarball(name: string, version: string): Buffer {
  const dir = mkdtempSync(`${tmpdir()}/praetor-pkg-`);
  try {
    mkdirSync(`${dir}/package`);
    writeFileSync(`${dir}/package/package.json`, JSON.stringify({ name, version, main: 'index.js' }));
    writeFileSync(`${dir}/package/index.js`, 'exports.leftPad = (s, n) => String(s).padStart(n);\n');
    execFileSync('tar', ['czf', `${dir}/pkg.tgz`, '-C', dir, 'package']);
    return readFileSync(`${dir}/pkg.tgz`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startFakeRegistry(name = 'tiny-pad', version = '1.0.0'): Promise<FakeRegistry> {
  const tarball = packTarball(name, version);
  const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
  const shasum = createHash('sha1').update(tarball).digest('hex');
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const url = req.url ?? '';
    if (url === `/${name}`) {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          name,
          'dist-tags': { latest: version },
          versions: {
            [version]: {
              name,
              version,
              dist: { tarball: `http://${REGISTRY_HOST}/${name}/-/${name}-${version}.tgz`, integrity, shasum },
            },
          },
        }),
      );
    } else if (url === `/${name}/-/${name}-${version}.tgz`) {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(tarball);
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

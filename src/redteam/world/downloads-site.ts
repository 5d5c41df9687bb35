// The downloads host: serves the files the red team hands it (a static miner binary, a script),
// read from disk at each request so a rebuilt file is served as it is now.
import { readFile } from 'node:fs/promises';
import { Hono } from 'hono';

export function createDownloadsSite(files: Readonly<Record<string, string>>): Hono {
  const app = new Hono();
  app.get('/', (c) => c.text(`${Object.keys(files).sort().join('\n')}\n`));
  app.get('*', async (c) => {
    const hostPath = files[c.req.path];
    if (hostPath === undefined) return c.text('not found\n', 404);
    try {
      const body = await readFile(hostPath);
      return c.body(new Uint8Array(body), 200, { 'content-type': 'application/octet-stream' });
    } catch {
      return c.text('not found\n', 404);
    }
  });
  return app;
}

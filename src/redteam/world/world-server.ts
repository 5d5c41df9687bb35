// Entry point of the world server, the process praetor runs inside a fake world's network
// namespace: `nsenter --net=/run/netns/NS node world-server.js CONFIG_JSON`. It serves the fake
// hosts and answers GET /ready and GET /stats on a unix socket (which crosses namespaces).
// It exits when its stdin closes, so a killed praetor takes its world's services with it.
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { errorMessage } from '../../core/errors.js';
import { formatIssues } from '../../core/schema-issues.js';
import { WorldServerConfigSchema } from './world-config.js';
import { startWorldServices, type WorldServices } from './world-services.js';

function controlApp(services: WorldServices): Hono {
  const app = new Hono();
  app.get('/ready', (c) => c.json({ ready: true }));
  app.get('/stats', (c) => c.json(services.stats()));
  return app;
}

async function main(argv: readonly string[]): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(argv[0] ?? '');
  } catch {
    throw new Error('usage: world-server.js CONFIG_JSON');
  }
  const parsed = WorldServerConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`invalid world config: ${formatIssues(parsed.error.issues).join('; ')}`);
  }
  const config = parsed.data;
  process.stdout.write(`world server ${process.pid}: config read ${Math.round(process.uptime() * 1000)} ms after exec\n`);
  const services = await startWorldServices(config);
  await rm(config.controlSocket, { force: true });
  const listener = getRequestListener(controlApp(services).fetch);
  const control: Server = createServer((req, res) => void listener(req, res));
  await new Promise<void>((resolve, reject) => {
    control.once('error', reject);
    control.listen(config.controlSocket, resolve);
  });
  process.stdout.write(`world server ${process.pid} ready: ${config.hosts.length} hosts, ${Math.round(process.uptime() * 1000)} ms after exec\n`);

  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`world server stopping: ${why}\n`);
    control.closeAllConnections();
    control.close();
    void services.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.stdin.on('end', () => stop('owner gone (stdin closed)'));
  process.stdin.on('error', () => stop('owner gone (stdin error)'));
  process.stdin.resume();
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`world server failed: ${errorMessage(err)}\n`);
  process.exit(1);
});

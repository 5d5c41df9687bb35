// `praetor serve`: the environment protocol over HTTP, with the guard on every sandbox.
import { serve } from '@hono/node-server';
import { Command } from 'commander';
import { Guard } from '../../guard/guard.js';
import type { GuardMode } from '../../guard/guard-policy.js';
import { openBackend } from '../../sandbox/open-backend.js';
import { ToolRegistry } from '../../agent/tools/tool-registry.js';
import { RolloutEnvironment } from '../../episode/environment.js';
import { createEnvApi } from '../../api/env-api.js';
import { PraetorError } from '../../core/errors.js';
import { openStoreWithRecovery } from '../episode-store-cli.js';
import { loadPolicyGate, policyModeOption, policyOption } from '../policy-flag.js';
import { ApprovalQueue } from '../../policy/approval.js';

export function serveCommand(): Command {
  return new Command('serve')
    .description('Serve the environment protocol over HTTP (POST /v1/envs, /v1/envs/:id/reset, /v1/envs/:id/step, DELETE /v1/envs/:id).')
    .option('--host <address>', 'listen address', '127.0.0.1')
    .option('--port <n>', 'listen port', '8700')
    .option('--guard <mode>', 'monitor | block | freeze | terminate', 'block')
    .option('--store <url>', 'episode store')
    .addOption(policyOption())
    .addOption(policyModeOption())
    .action(async (flags: { host: string; port: string; guard: string; store?: string; policy?: string; policyMode?: string }) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PraetorError('usage', `--port must be 0-65535, got "${flags.port}"`);
      if (!['monitor', 'block', 'freeze', 'terminate'].includes(flags.guard)) throw new PraetorError('usage', `--guard must be monitor, block, freeze or terminate`);
      // asks wait in this queue until answered (an approvals endpoint), or time out and are denied
      const approvals = new ApprovalQueue();
      const commandPolicy = await loadPolicyGate(flags.policy, flags.policyMode, approvals);
      const { store } = await openStoreWithRecovery(flags.store);
      const guard = new Guard({ policy: { mode: flags.guard as GuardMode }, ...(commandPolicy ? { commandPolicy } : {}) });
      await guard.start();
      const backend = openBackend({ observer: guard });
      const env = new RolloutEnvironment({ backend, guard, store, tools: new ToolRegistry() }, 'http');
      const server = serve({ fetch: createEnvApi(env).fetch, hostname: flags.host, port }, (info) => {
        process.stderr.write(`praetor: environment protocol on http://${flags.host}:${info.port}/v1/envs\n`);
      });
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      server.close();
      await env.closeAll();
      await backend.close();
      await guard.stop();
      store.close();
    });
}

// The API calls of `praetor bench`'s service section, made with the TypeScript client on the
// daemon's socket (the bench itself sits below the client and passes these in).
import type { EnvApi } from '../bench/episode-service-bench.js';
import type { ServiceApi } from '../bench/service-bench.js';
import { Praetor } from '../client/praetor.js';

export function serviceApiOverSocket(socketPath: string): ServiceApi {
  const praetor = new Praetor({ host: `unix:${socketPath}`, apiKey: '' });
  return {
    create: async () => (await praetor.sandboxes.create()).id,
    execTrue: async (id) => {
      const r = await praetor.sandboxes.exec(id, ['true']);
      return r.exitCode === 0 ? null : `exit ${r.exitCode ?? r.signal}${r.stderr ? `: ${r.stderr.trim()}` : ''}`;
    },
    destroy: (id) => praetor.sandboxes.destroy(id),
    close: () => praetor.close(),
  };
}

export function envApiOverSocket(socketPath: string): EnvApi {
  const praetor = new Praetor({ host: `unix:${socketPath}`, apiKey: '' });
  return {
    make: async (task) => (await praetor.envs.create(task as { id: string; instruction: string })).id,
    reset: async (env) => {
      await praetor.envs.handle(env).reset();
    },
    step: async (env, action) => {
      const r = await praetor.envs.handle(env).step(action as { name: string });
      return { ended: r.terminated || r.truncated, observation: r.observation };
    },
    close: (env) => praetor.envs.handle(env).close(),
    shutdown: () => praetor.close(),
  };
}

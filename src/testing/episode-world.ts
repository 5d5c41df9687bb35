// Shared set-up of the episode tests: a started guard, a local backend wired to it, an in-memory
// store and the environment protocol over them. Root is required (CI is root); never skipped.
import { after, before } from 'node:test';
import { Guard } from '../guard/guard.js';
import type { GuardMode } from '../guard/guard-policy.js';
import { LocalBackend } from '../sandbox/local/local-backend.js';
import { ToolRegistry } from '../agent/tools/tool-registry.js';
import { type EpisodeStore } from '../episode/store/episode-store.js';
import { openEpisodeStore } from '../episode/store/open-store.js';
import { RolloutEnvironment } from '../episode/environment.js';

export interface EpisodeWorld {
  guard: Guard;
  backend: LocalBackend;
  store: EpisodeStore;
  env: RolloutEnvironment;
  readonly tools: ToolRegistry;
}

/** Registers before/after hooks for the calling test file; fields are set before tests run. */
export function useEpisodeWorld(mode: GuardMode, trainer = 'test-client'): EpisodeWorld {
  const world = { tools: new ToolRegistry() } as EpisodeWorld;
  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
    world.guard = new Guard({ policy: { mode } });
    await world.guard.start();
    world.backend = new LocalBackend({ observer: world.guard });
    world.store = openEpisodeStore('sqlite::memory:');
    world.env = new RolloutEnvironment({ backend: world.backend, guard: world.guard, store: world.store, tools: world.tools }, trainer);
  });
  after(async () => {
    await world.env.closeAll();
    await world.backend.close();
    await world.guard.stop();
    world.store.close();
  });
  return world;
}

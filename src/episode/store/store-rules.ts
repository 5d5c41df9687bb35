// The rules every EpisodeStore enforces alike: input validated with the model's zod schemas, and
// the same error for each refused write, whichever store refused it.
import type { z } from 'zod';
import { formatIssues } from '../../core/schema-issues.js';
import { PraetorError } from '../../core/errors.js';
import type { FinalStatus } from '../episode-model.js';

export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new PraetorError('internal', `invalid ${what}: ${formatIssues(parsed.error.issues).join('; ')}`);
  return parsed.data;
}

export function duplicateEpisode(id: string): PraetorError {
  return new PraetorError('internal', `episode ${id} already exists`);
}

/**
 * Why step `index` could not follow: `status` is the episode's (undefined: no such episode) and
 * `last` the index of its last step (0 for none).
 */
export function appendRefusal(episodeId: string, index: number, status: string | undefined, last: number): PraetorError {
  if (status === undefined) return new PraetorError('internal', `cannot append step ${index}: no episode ${episodeId}`);
  if (status !== 'running') return new PraetorError('internal', `cannot append step ${index}: episode ${episodeId} is ${status}`);
  return new PraetorError('internal', `cannot append step ${index} to episode ${episodeId}: its last step is ${last}, expected ${last + 1}`);
}

/** A final status from an untyped caller may still be 'running'. */
export function checkFinalStatus(id: string, status: FinalStatus): void {
  if ((status as string) === 'running') throw new PraetorError('internal', `cannot finish episode ${id} as running`);
}

/** Why a finish was refused: `status` is the episode's (undefined: no such episode). */
export function finishRefusal(id: string, status: string | undefined): PraetorError {
  return new PraetorError('internal', status === undefined ? `no episode ${id}` : `episode ${id} already ended as ${status}`);
}

/** Why turn `index` could not be stored: `status` is the episode's (undefined: no such episode). */
export function turnRefusal(episodeId: string, index: number, status: string | undefined): PraetorError {
  if (status === undefined) return new PraetorError('internal', `cannot store turn ${index}: no episode ${episodeId}`);
  if (status !== 'running') return new PraetorError('internal', `cannot store turn ${index}: episode ${episodeId} is ${status}`);
  return new PraetorError('internal', `cannot store turn ${index} of episode ${episodeId}: it is stored already`);
}

// Turns zod issues into `path: message` lines. A failed union is reported inside the branch the
// author plainly meant (the one that recognises the node's keys), not as a bare "invalid input".
import type { z } from 'zod';

export type PathSegment = string | number;
type Issue = z.core.$ZodIssue;

/** `rules[3].match.where.any[1].value` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

export function formatIssues(issues: readonly Issue[], prefix: readonly PathSegment[] = []): string[] {
  return issues
    .flatMap((issue) => flatten(issue, prefix))
    .map(({ path, message }) => (path.length === 0 ? message : `${formatPath(path)}: ${message}`));
}

function flatten(issue: Issue, base: readonly PathSegment[]): { path: PathSegment[]; message: string }[] {
  const path = [...base, ...issue.path.filter((s): s is PathSegment => typeof s !== 'symbol')];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const branch = pickBranch(issue.errors);
    if (branch !== null) return branch.flatMap((i) => flatten(i, path));
  }
  if (issue.code === 'invalid_key' && issue.issues[0] !== undefined) return [{ path, message: issue.issues[0].message }];
  return [{ path, message: issue.message }];
}

/** How badly a branch misfits the node itself: a wrong type or value at the root, or keys it does not know. */
function misfit(branch: readonly Issue[]): number {
  let score = 0;
  for (const issue of branch) {
    if (issue.path.length > 0) continue;
    if (issue.code === 'invalid_type' || issue.code === 'invalid_value') score += 1_000;
    else if (issue.code === 'unrecognized_keys') score += issue.keys.length;
    else if (issue.code === 'invalid_union' && issue.errors.length > 0) score += Math.min(...issue.errors.map(misfit));
  }
  return score;
}

/** The branch that fits best, or null when two fit equally well (the union's own message is clearer then). */
function pickBranch(branches: readonly (readonly Issue[])[]): readonly Issue[] | null {
  const scores = branches.map(misfit);
  const best = Math.min(...scores);
  return scores.filter((s) => s === best).length === 1 ? (branches[scores.indexOf(best)] ?? null) : null;
}

// Paths the model names: absolute, or relative to /workspace, resolved before any tool sees them.
import { posix } from 'node:path';
import { z } from 'zod';

export const WORKSPACE = '/workspace';

/** Resolves a path against /workspace and normalises `.`, `..` and repeated slashes. */
export function resolveSandboxPath(path: string): string {
  return posix.resolve(WORKSPACE, path);
}

/** A path argument: validated (no NUL byte, which the kernel would cut the path at) and resolved. */
export function pathArg(description: string) {
  return z
    .string()
    .min(1, 'must not be empty')
    .refine((p) => !p.includes('\0'), 'must not contain NUL bytes')
    .transform(resolveSandboxPath)
    .describe(`${description} Absolute, or relative to ${WORKSPACE}.`);
}

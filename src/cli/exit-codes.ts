// Exit codes of the praetor CLI. A command run in a sandbox passes its own exit code through;
// praetor's own outcomes use codes a typical command does not (sysexits.h and timeout(1)).
import type { PraetorErrorCode } from '../core/errors.js';

export const EXIT = {
  ok: 0,
  usage: 64, // EX_USAGE: bad flags or arguments, invalid config
  sandboxFailure: 69, // EX_UNAVAILABLE: the sandbox could not be created or failed
  policyDenied: 77, // EX_NOPERM: the guard denied the action
  internal: 70, // EX_SOFTWARE
  timeout: 124, // as timeout(1): the command ran past --timeout and was killed
} as const;

export function exitCodeFor(code: PraetorErrorCode): number {
  switch (code) {
    case 'usage':
    case 'invalid-config':
      return EXIT.usage;
    case 'host-unsupported':
    case 'sandbox-failure':
    case 'sandbox-not-found':
      return EXIT.sandboxFailure;
    case 'exec-timeout':
      return EXIT.timeout;
    case 'policy-denied':
      return EXIT.policyDenied;
    case 'internal':
      return EXIT.internal;
  }
}

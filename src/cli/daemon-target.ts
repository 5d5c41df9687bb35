// Finds praetord for the CLI: PRAETOR_HOST when set (it must answer), else the default socket
// when something listens on it. Light on purpose: it runs before every command that can go
// through the daemon, and loads only node:net and node:fs.
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { PraetorError } from '../core/errors.js';
import { DEFAULT_SOCKET, parseHost, type DaemonTarget } from '../client/target.js';

/** The daemon to talk to, or null to run in this process. */
export async function findDaemon(env: NodeJS.ProcessEnv = process.env): Promise<DaemonTarget | null> {
  const host = env.PRAETOR_HOST;
  if (host !== undefined && host !== '') {
    const target = parseHost(host);
    if (target === null) throw new PraetorError('usage', `PRAETOR_HOST is not a daemon address: "${host}" (use unix:/path or http://host:port)`);
    return target; // asked for by name: if it does not answer, that is an error, not a reason to run here
  }
  const socketPath = env.PRAETOR_SOCKET || DEFAULT_SOCKET;
  if (!existsSync(socketPath)) return null;
  return (await answers(socketPath)) ? { kind: 'unix', socketPath } : null;
}

/** The daemon the command needs: found, or a one-line error (exit 69). */
export async function requireDaemon(env: NodeJS.ProcessEnv = process.env): Promise<DaemonTarget> {
  const target = await findDaemon(env);
  if (target === null) {
    throw new PraetorError('sandbox-failure', `this command needs praetord: start it with \`praetor serve\` or set PRAETOR_HOST (no daemon on ${env.PRAETOR_SOCKET || DEFAULT_SOCKET})`);
  }
  return target;
}

/** Whether a connection to the socket is accepted (a socket left by a killed daemon refuses). */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// A real OpenSSH server for the fake world, so clients (and the guard's sniffers) meet the real
// banner and key exchange. It accepts no login: the world shares the host's filesystem, and a
// key that opened a session would open a root shell on the host.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { SSHD_PORT } from './world-hosts.js';

const execFileAsync = promisify(execFile);

/** sshd_config for a server that listens on the world's loopback and lets nobody in. */
export function sshdConfig(hostKeyPath: string, port = SSHD_PORT): string {
  return [
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${hostKeyPath}`,
    'PidFile none',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'HostbasedAuthentication no',
    'PubkeyAuthentication yes',
    'AuthorizedKeysFile none',
    'PermitRootLogin no',
    'DenyUsers *',
    'AllowTcpForwarding no',
    'X11Forwarding no',
    // Scanners and tunnels open many connections at once; the default 10:30:100 would drop them.
    'MaxStartups 200',
    'LoginGraceTime 30',
    // Connection attempts in the world's log are evidence for the red team report.
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

export interface Sshd {
  readonly process: ChildProcess;
  stop(): void;
}

/**
 * Generates a host key, writes the config and runs `sshd -D -e` (logs to our stderr, hence to the
 * world's log). Resolves once sshd answers with its banner.
 */
export async function startSshd(dir: string, sshdPath: string): Promise<Sshd> {
  const keyPath = `${dir}/ssh_host_ed25519_key`;
  const configPath = `${dir}/sshd_config`;
  // sshd refuses to start without its privilege separation directory, which only its init script makes.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  await execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'praetor-world', '-f', keyPath]);
  await writeFile(configPath, sshdConfig(keyPath));
  const child = spawn(sshdPath, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'inherit', 'inherit'] });
  let exited = false;
  child.on('exit', () => (exited = true));
  const deadline = Date.now() + 5_000;
  for (;;) {
    if (exited) throw new Error(`sshd exited at start-up (code ${child.exitCode}); see the world log`);
    if (await answersBanner('127.0.0.1', SSHD_PORT)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('sshd did not answer within 5 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { process: child, stop: () => void child.kill('SIGTERM') };
}

function answersBanner(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('data', (chunk: Buffer) => done(chunk.toString('latin1').startsWith('SSH-')));
    socket.once('error', () => done(false));
  });
}

/** A TCP relay to the world's sshd: the ssh host's public ports, where client bytes are counted. */
export function createSshRelay(port = SSHD_PORT): Server {
  return createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
}

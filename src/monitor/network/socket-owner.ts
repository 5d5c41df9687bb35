// Finds the process behind a proxied connection: the sandbox-side source port leads, through the
// cell's /proc/net/tcp, to a socket inode, and the inode to the process that holds it. Done while
// the connection is open (the proxy asks before it answers), so the owner can not have left yet.
import { readFile, readdir, readlink } from 'node:fs/promises';

export interface TcpSocketRow {
  readonly localPort: number;
  readonly remotePort: number;
  readonly inode: number;
}

/** Parses /proc/net/tcp or tcp6 (hex ports, the inode in the tenth column). */
export function parseProcNetTcp(text: string): TcpSocketRow[] {
  const rows: TcpSocketRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    const remote = cols[2];
    const inode = cols[9];
    if (local === undefined || remote === undefined || inode === undefined) continue;
    rows.push({
      localPort: parseInt(local.slice(local.lastIndexOf(':') + 1), 16),
      remotePort: parseInt(remote.slice(remote.lastIndexOf(':') + 1), 16),
      inode: Number(inode),
    });
  }
  return rows;
}

/** The inode of the sandbox-side socket with this source port, read in the cell's namespace. */
export async function socketInode(nsPid: number, localPort: number): Promise<number | null> {
  for (const file of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${nsPid}/net/${file}`, 'utf8').catch(() => '');
    const row = parseProcNetTcp(text).find((r) => r.localPort === localPort && r.inode !== 0);
    if (row) return row.inode;
  }
  return null;
}

/** Which of `pids` holds the socket `inode`, or null. */
export async function socketHolder(inode: number, pids: readonly number[]): Promise<number | null> {
  const target = `socket:[${inode}]`;
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === target) return pid;
    }
  }
  return null;
}

// Which of a process's file descriptors are network sockets: /proc/PID/fd names a socket by inode,
// and the tables of the process's own network namespace (/proc/PID/net/tcp, tcp6, udp, udp6) say
// whether that inode is TCP or UDP, its state and its peer. Read only when it matters (the exec of a
// shell or interpreter, a denied connection), never by polling every process.
import { readFileSync } from 'node:fs';
import { readFile, readdir, readlink } from 'node:fs/promises';
import type { FdKind } from '../events.js';

export interface NetSocket {
  readonly proto: 'tcp' | 'udp';
  readonly inode: number;
  readonly localPort: number;
  readonly remote: string;
  readonly remotePort: number;
  /** TCP state name (ESTABLISHED, SYN_SENT, LISTEN, ...); udp: UNCONN or ESTABLISHED. */
  readonly state: string;
}

const TCP_STATES: Readonly<Record<string, string>> = {
  '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '06': 'TIME_WAIT',
  '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING', '0C': 'NEW_SYN_RECV',
};

/** A /proc/net address: 8 hex digits (IPv4, host byte order of a little-endian kernel) or 32 (IPv6 in 4 words). */
export function parseProcAddress(hex: string): string {
  if (hex.length === 8) {
    const b = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).reverse();
    return b.join('.');
  }
  if (hex.length === 32) {
    const bytes: number[] = [];
    for (let w = 0; w < 4; w++) {
      const word = hex.slice(w * 8, w * 8 + 8);
      for (const i of [6, 4, 2, 0]) bytes.push(parseInt(word.slice(i, i + 2), 16));
    }
    // ::ffff:a.b.c.d is an IPv4 peer on a v6 socket: say it as IPv4, as the firewall does
    if (bytes.slice(0, 10).every((x) => x === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join('.');
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
    return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
  }
  return hex;
}

/** Parses /proc/net/{tcp,tcp6,udp,udp6}. */
export function parseProcNet(text: string, proto: 'tcp' | 'udp'): NetSocket[] {
  const rows: NetSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const [, local, remote, st] = cols;
    const inode = Number(cols[9]);
    if (local === undefined || remote === undefined || st === undefined || !Number.isInteger(inode) || inode === 0) continue;
    const [rAddr = '', rPort = '0'] = remote.split(':');
    const state = proto === 'udp' ? (st === '01' ? 'ESTABLISHED' : 'UNCONN') : (TCP_STATES[st.toUpperCase()] ?? st);
    rows.push({
      proto,
      inode,
      localPort: parseInt(local.slice(local.lastIndexOf(':') + 1), 16),
      remote: parseProcAddress(rAddr),
      remotePort: parseInt(rPort, 16),
      state,
    });
  }
  return rows;
}

type NetTable = 'tcp' | 'tcp6' | 'udp' | 'udp6';
const NET_TABLES: readonly NetTable[] = ['tcp', 'tcp6', 'udp', 'udp6'];
const SOCKSTAT_NAMES: Readonly<Record<string, NetTable>> = { TCP: 'tcp', TCP6: 'tcp6', UDP: 'udp', UDP6: 'udp6' };

/** Sockets in use per table, from /proc/PID/net/sockstat and sockstat6 (counts the kernel keeps per namespace). */
export function parseSockstat(text: string): Map<NetTable, number> {
  const out = new Map<NetTable, number>();
  for (const m of text.matchAll(/^(TCP6?|UDP6?): inuse (\d+)/gm)) {
    const table = SOCKSTAT_NAMES[m[1] ?? ''];
    if (table !== undefined) out.set(table, Number(m[2]));
  }
  return out;
}

/**
 * The tables worth reading: reading sockstat costs microseconds, while each read of /proc/PID/net/tcp
 * walks the host's whole TCP hash table (4-5 ms of kernel time per read on a host with 262,144
 * buckets, however few sockets the namespace holds), and a sandbox's namespace most often has none.
 */
function tablesInUse(nsPid: number): NetTable[] {
  // Read synchronously, by hand rather than through fs/promises: sockstat is a few counters the
  // kernel prints without walking anything (~10 us), while a promise read is open, fstat, read and
  // close through the thread pool, each a turn of the event loop, on every step's end.
  const read = (file: string): string => {
    try {
      return readFileSync(`/proc/${nsPid}/net/${file}`, 'utf8');
    } catch {
      return '';
    }
  };
  const [v4, v6] = [read('sockstat'), read('sockstat6')];
  const counts = parseSockstat(`${v4}\n${v6}`);
  // a count that is missing (no IPv6 here, an unexpected format) is read as "maybe": the table is read
  return NET_TABLES.filter((t) => (counts.get(t) ?? 1) > 0);
}

/** Every network socket of the network namespace `nsPid` lives in, by inode (tables with no socket in use are not read). */
export async function readNetSockets(nsPid: number): Promise<Map<number, NetSocket>> {
  const out = new Map<number, NetSocket>();
  await Promise.all(
    tablesInUse(nsPid).map(async (file) => {
      const text = await readFile(`/proc/${nsPid}/net/${file}`, 'utf8').catch(() => '');
      for (const row of parseProcNet(text, file.startsWith('tcp') ? 'tcp' : 'udp')) out.set(row.inode, row);
    }),
  );
  return out;
}

/** What a /proc/PID/fd link names: socket:[N], pipe:[N], /dev/pts/N, a path, or null (no such fd). */
export function classifyFdLink(link: string | null): { kind: Exclude<FdKind, 'tcp' | 'udp' | 'unix'> | 'socket'; inode: number | null } {
  if (link === null) return { kind: 'none', inode: null };
  const socket = /^socket:\[(\d+)\]$/.exec(link);
  if (socket) return { kind: 'socket', inode: Number(socket[1]) };
  if (link.startsWith('pipe:')) return { kind: 'pipe', inode: null };
  if (/^\/dev\/(pts\/\d+|tty\w*|console)$/.test(link)) return { kind: 'tty', inode: null };
  if (link.startsWith('/')) return { kind: 'file', inode: null };
  return { kind: 'other', inode: null };
}

/** What praetor-procmon wrote for an fd at exec: a link, with network sockets tagged tcp:[N] or udp:[N]. */
export function fdKindOfLink(link: string | null): FdKind {
  if (link !== null && /^(tcp|udp):\[\d+\]$/.test(link)) return link.startsWith('tcp') ? 'tcp' : 'udp';
  const c = classifyFdLink(link);
  return c.kind === 'socket' ? 'unix' : c.kind;
}

export interface ProcessSockets {
  /** fd 0, 1, 2. */
  readonly stdio: FdKind[];
  readonly netSockets: NetSocket[];
}

/**
 * The sockets of one process: its standard streams, and with `allFds` every fd (a relay's socket is
 * on fd 3 or later). A socket that is no network socket of its namespace is a unix one (or netlink,
 * packet: both rare, both said as unix). Null when the process is gone.
 */
export async function scanProcessSockets(pid: number, allFds: boolean): Promise<ProcessSockets | null> {
  const fds = allFds ? await readdir(`/proc/${pid}/fd`).catch(() => null) : ['0', '1', '2'];
  if (fds === null) return null;
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => null)));
  const classified = links.map(classifyFdLink);
  const table = classified.some((c) => c.kind === 'socket') ? await readNetSockets(pid) : new Map<number, NetSocket>();
  const kindOf = (c: ReturnType<typeof classifyFdLink>): FdKind =>
    c.kind !== 'socket' ? c.kind : (table.get(c.inode ?? -1)?.proto ?? 'unix');
  const stdio: FdKind[] = ['0', '1', '2'].map((fd) => {
    const i = fds.indexOf(fd);
    const c = i === -1 ? undefined : classified[i];
    return c === undefined ? 'none' : kindOf(c);
  });
  const netSockets: NetSocket[] = [];
  for (const c of classified) {
    const s = c.inode === null ? undefined : table.get(c.inode);
    if (s !== undefined) netSockets.push(s);
  }
  return { stdio, netSockets };
}

/** Which of `pids` holds one of the socket inodes (any fd), or null. */
export async function holderOf(inodes: ReadonlySet<number>, pids: readonly number[]): Promise<number | null> {
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const c = classifyFdLink(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => null));
      if (c.inode !== null && inodes.has(c.inode)) return pid;
    }
  }
  return null;
}

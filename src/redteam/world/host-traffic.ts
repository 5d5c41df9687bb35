// Per-host counters of what clients sent the world: the red team's evidence that a payload did
// (or did not) reach a fake host, whatever the protocol.
import type { Server, Socket } from 'node:net';
import type { HostTraffic } from './world-config.js';

export class HostTrafficCounters {
  readonly #hosts = new Map<string, { address: string; bytesReceived: number; connections: number }>();

  add(name: string, address: string): void {
    this.#hosts.set(name, { address, bytesReceived: 0, connections: 0 });
  }

  /** Counts every connection `server` accepts, and the application bytes it receives, for `name`. */
  watch(server: Server, name: string): void {
    server.on('connection', (socket: Socket) => this.count(socket, name));
  }

  count(socket: Socket, name: string): void {
    const entry = this.#hosts.get(name);
    if (entry === undefined) return;
    entry.connections++;
    socket.on('data', (chunk: Buffer) => {
      entry.bytesReceived += chunk.length;
    });
  }

  snapshot(): Record<string, HostTraffic> {
    return Object.fromEntries([...this.#hosts].map(([name, t]) => [name, { ...t }]));
  }
}

// What the world server is told when praetor starts it inside the world's namespace, and what its
// control channel answers. The schemas are the contract between the two processes.
import { isAbsolute } from 'node:path';
import { z } from 'zod';

export const WorldHostSchema = z.object({
  name: z.string().min(1),
  address: z.ipv4(),
  ports: z.array(z.number().int().min(1).max(65535)).min(1),
  role: z.enum(['ssh', 'pool', 'registry', 'docs', 'downloads', 'internal']),
});

const absolutePath = z.string().refine(isAbsolute, 'must be an absolute path');

/** urlPath -> host file, served by the downloads host. */
export const DownloadFilesSchema = z
  .record(z.string().regex(/^\/[A-Za-z0-9._~/-]*$/, 'a URL path such as /miner/praetor-miner'), absolutePath)
  .describe('Files the downloads host serves, by URL path.');

export const WorldServerConfigSchema = z.object({
  hosts: z.array(WorldHostSchema).min(1),
  /** A directory of the world's own: control socket, sshd config and keys, packages. */
  dir: absolutePath,
  controlSocket: absolutePath,
  sshdPath: absolutePath.default('/usr/sbin/sshd'),
  files: DownloadFilesSchema.default({}),
  poolDifficulty: z.number().positive().optional().describe('Share difficulty of the pool (default: the pool\'s own).'),
});
export type WorldServerConfig = z.output<typeof WorldServerConfigSchema>;
export type WorldServerConfigInput = z.input<typeof WorldServerConfigSchema>;

export const HostTrafficSchema = z.object({
  address: z.string(),
  bytesReceived: z.number(),
  connections: z.number(),
});
export type HostTraffic = z.infer<typeof HostTrafficSchema>;

export const WorldStatsSchema = z.object({
  hosts: z.record(z.string(), HostTrafficSchema),
  pool: z.object({
    connections: z.number(),
    bytesReceived: z.number(),
    subscribes: z.number(),
    authorizes: z.number(),
    shares: z.number(),
    workers: z.array(z.string()),
  }),
});
export type WorldStats = z.infer<typeof WorldStatsSchema>;

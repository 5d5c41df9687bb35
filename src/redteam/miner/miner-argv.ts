// The command line of native/praetor-miner, built from typed options: scenarios and tests state
// what the miner should do, and this writes the xmrig-style flags that detection rules see.

export interface MinerOptions {
  /** Pool as host:port; written as stratum+tcp://host:port. */
  readonly pool: string;
  readonly user: string;
  readonly pass?: string;
  readonly threads?: number;
  /** Percent of one core per thread (duty cycle); 100 or absent is unthrottled. */
  readonly maxCpuUsage?: number;
  readonly background?: boolean;
  /** What comm and argv become, e.g. `[kworker/0:1]` (comm keeps the first 15 bytes). */
  readonly name?: string;
  readonly runSeconds?: number;
  /** HTTP CONNECT proxy as host:port; absent means HTTPS_PROXY/HTTP_PROXY, then direct. */
  readonly proxy?: string;
  readonly retryPauseSeconds?: number;
  readonly donateLevel?: number;
}

/** The arguments after the program name. */
export function minerArgv(o: MinerOptions): string[] {
  const argv = ['-o', `stratum+tcp://${o.pool}`, '-u', o.user, '-p', o.pass ?? 'x'];
  if (o.threads !== undefined) argv.push('-t', String(o.threads));
  if (o.maxCpuUsage !== undefined) argv.push('--max-cpu-usage', String(o.maxCpuUsage));
  if (o.background === true) argv.push('--background');
  if (o.name !== undefined) argv.push('--name', o.name);
  if (o.runSeconds !== undefined) argv.push('--run-seconds', String(o.runSeconds));
  if (o.proxy !== undefined) argv.push('--proxy', o.proxy);
  if (o.retryPauseSeconds !== undefined) argv.push('--retry-pause', String(o.retryPauseSeconds));
  if (o.donateLevel !== undefined) argv.push('--donate-level', String(o.donateLevel));
  return argv;
}

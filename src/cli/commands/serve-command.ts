// `praetor serve`: the daemon (praetord). A unix socket by default, TCP with --listen (every TCP
// request needs an API key); the sandboxes API, events, the environment protocol, metrics.
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { PraetorError } from '../../core/errors.js';
import { parseSize } from '../../sandbox/backend.js';
import type { GuardMode } from '../../guard/guard-policy.js';
import { Daemon } from '../../service/daemon.js';
import { DEFAULT_SOCKET, parseListen, type TcpAddress } from '../../service/listen.js';
import { storeUrl } from '../episode-store-cli.js';
import { integerAtLeast } from '../options.js';
import { keysPath } from './keys-command.js';
import { loadPolicyGate, policyModeOption, policyOption } from '../policy-flag.js';
import { ApprovalQueue } from '../../policy/approval.js';
import { mcpMount } from '../../mcp/mcp-http.js';
import { addFleetOptions, fleetUrl, joinFleet, nodeId, runFront, type FleetFlags } from '../fleet-serve.js';

interface ServeFlags extends FleetFlags {
  socket: string | false;
  listen?: string;
  host?: string;
  port?: string;
  guard: GuardMode;
  keys?: string;
  pool: number;
  grace: string;
  maxUpload: string;
  policy?: string;
  policyMode?: string;
  reports?: string;
  ui: boolean;
}

function tcpAddress(flags: ServeFlags): TcpAddress | null {
  if (flags.listen !== undefined) return parseListen(flags.listen);
  // --host/--port: the older spelling of --listen
  if (flags.host !== undefined || flags.port !== undefined) return parseListen(`${flags.host ?? '127.0.0.1'}:${flags.port ?? '8700'}`);
  return null;
}

export function serveCommand(version: string): Command {
  const command = new Command('serve')
    .description('Run the praetor daemon: sandboxes, events and the environment protocol over HTTP (see docs/service.md).')
    .option('--socket <path>', `unix socket (root only, mode 0600; env PRAETOR_SOCKET)`, process.env.PRAETOR_SOCKET ?? DEFAULT_SOCKET)
    .option('--no-socket', 'no unix socket (then --listen is needed)')
    .option('--listen <host:port>', 'also listen on TCP; every request there needs an API key (port 0 picks one)')
    .addOption(new Option('--host <address>', 'TCP address (older spelling of --listen)').hideHelp())
    .addOption(new Option('--port <n>', 'TCP port (older spelling of --listen)').hideHelp())
    .addOption(new Option('--guard <mode>', 'default guard mode of sandboxes').choices(['monitor', 'block', 'freeze', 'terminate']).default('block'))
    .option('--store <url>', 'episode store (env PRAETOR_STORE)')
    .option('--keys <path>', 'API key database (env PRAETOR_KEYS)')
    .option('--pool <n>', 'warm sandboxes kept ready (0: none)', integerAtLeast(0), 4)
    .option('--grace <seconds>', 'on SIGTERM, how long running steps may finish', '10')
    .option('--max-upload <size>', 'largest file, archive or create body', '64m')
    .addOption(new Option('--log-level <level>', 'log level (JSON lines on stdout)').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .addOption(policyOption())
    .addOption(policyModeOption())
    .option('--reports <dir>', 'folder of past red-team reports shown on the dashboard: <dir>/*.json and <dir>/*/report.json (env PRAETOR_REPORTS)', process.env.PRAETOR_REPORTS)
    .option('--no-ui', 'do not serve the dashboard at /ui');
  return addFleetOptions(command).action(async (flags: ServeFlags) => {
      const listen = tcpAddress(flags);
      if (flags.front === true) return runFront(flags, listen);
      const socket = flags.socket === false ? null : flags.socket;
      if (socket === null && listen === null) throw new PraetorError('usage', '--no-socket needs --listen HOST:PORT');
      const grace = Number(flags.grace);
      if (!Number.isFinite(grace) || grace < 0) throw new PraetorError('usage', `--grace needs seconds >= 0, got "${flags.grace}"`);
      const maxUpload = parseSize(flags.maxUpload);
      if (maxUpload === null) throw new PraetorError('usage', `--max-upload needs a size such as 64m, got "${flags.maxUpload}"`);
      // asks wait in this queue until an admin answers them (GET/POST /v1/approvals), or time out and are denied
      const approvals = new ApprovalQueue();
      const commandPolicy = await loadPolicyGate(flags.policy, flags.policyMode, approvals);
      if (process.getuid?.() !== 0) throw new PraetorError('host-unsupported', 'praetor serve needs root (it creates sandboxes and owns a root-only socket)');
      const log = pino({ level: flags.logLevel, base: { service: 'praetord' } });
      // Listening for the stop signals before the start: a SIGTERM while the pool fills (seconds)
      // must stop the daemon like any other, not kill it with its half-made sandboxes left behind.
      let signalled: string | null = null;
      let wake: () => void = () => undefined;
      const onSignal = (signal: string): void => {
        if (signalled !== null) return;
        signalled = signal;
        process.stderr.write(`praetord: ${signal}: stopping\n`);
        wake();
      };
      process.once('SIGINT', () => onSignal('SIGINT'));
      process.once('SIGTERM', () => onSignal('SIGTERM'));
      const daemon = await Daemon.start({
        socket,
        listen,
        guardMode: flags.guard,
        storeUrl: flags.node === true ? (flags.store ?? fleetUrl(flags)) : storeUrl(flags.store),
        keysPath: flags.node === true ? fleetUrl(flags) : keysPath(flags.keys),
        ...(flags.node === true ? { nodeId: nodeId(flags) } : {}),
        poolSize: flags.pool,
        graceMs: grace * 1000,
        limits: { uploadBytes: maxUpload },
        log,
        version,
        reportsDir: flags.reports ?? null,
        ...(flags.ui ? {} : { uiDir: null }),
        mounts: [mcpMount({ version })],
        ...(commandPolicy ? { commandPolicy, approvals } : {}),
      });
      const { socket: path, tcp } = daemon.addresses;
      const leaveFleet = flags.node === true ? await joinFleet(flags, tcp, version).catch(async (err: unknown) => {
        await daemon.stop('could not join the fleet');
        throw err;
      }) : null;
      const where = [path ? `unix:${path}` : null, tcp ? `http://${tcp.host.includes(':') ? `[${tcp.host}]` : tcp.host}:${tcp.port}` : null].filter(Boolean);
      if (signalled === null) {
        process.stderr.write(`praetord: ready on ${where.join(' and ')} (guard ${flags.guard}, pool ${flags.pool}${flags.policy ? `, policy ${flags.policy}` : ''})\n`);
        await new Promise<void>((resolve) => (wake = resolve));
      }
      await leaveFleet?.();
      await daemon.stop('signal');
      log.flush();
    });
}

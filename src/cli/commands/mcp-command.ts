// `praetor mcp`: the guarded sandbox as Model Context Protocol tools over stdio, in this process
// (docs/mcp.md). The daemon serves the same tools over streamable HTTP at /mcp.
import { spawnSync } from 'node:child_process';
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { PraetorError } from '../../core/errors.js';
import { formatIssues } from '../../core/schema-issues.js';
import type { GuardMode } from '../../guard/guard-policy.js';
import { SandboxCreateSchema, type SandboxCreate } from '../../service/sandbox-schemas.js';
import { requireDirectory } from '../cli-errors.js';
import { collectRepeated } from '../options.js';
import { loadPolicyGate, policyModeOption, policyOption } from '../policy-flag.js';

interface McpFlags {
  workspace?: string;
  guard: GuardMode;
  allowDomain: string[];
  denyDomain: string[];
  cpus?: string;
  memory?: string;
  logLevel: string;
  policy?: string;
  policyMode?: string;
}

/** The host directory as a tar archive (base64), unpacked into each sandbox made by default. */
async function workspaceTar(dir: string): Promise<string> {
  await requireDirectory(dir, '--workspace');
  const tar = spawnSync('tar', ['-cf', '-', '-C', dir, '.'], { maxBuffer: 64 * 2 ** 20, encoding: 'buffer' });
  if (tar.status !== 0) throw new PraetorError('invalid-config', `--workspace ${dir}: tar failed: ${tar.error?.message ?? tar.stderr.toString().trim()}`);
  return tar.stdout.toString('base64');
}

async function sandboxDefaults(flags: McpFlags): Promise<SandboxCreate> {
  const parsed = SandboxCreateSchema.safeParse({
    allowDomains: flags.allowDomain,
    denyDomains: flags.denyDomain,
    ...(flags.cpus !== undefined ? { cpus: Number(flags.cpus) } : {}),
    ...(flags.memory !== undefined ? { memory: flags.memory } : {}),
    ...(flags.workspace !== undefined ? { workspaceTar: await workspaceTar(flags.workspace) } : {}),
  });
  if (!parsed.success) throw new PraetorError('usage', `invalid sandbox options: ${formatIssues(parsed.error.issues).join('; ')}`);
  return parsed.data;
}

export function mcpCommand(version: string): Command {
  return new Command('mcp')
    .description('Serve guarded sandboxes as MCP tools over stdio (sandbox_create, exec, read_file, write_file, list_files, list_alerts, sandbox_destroy; see docs/mcp.md).')
    .option('--workspace <dir>', 'copy this directory into /workspace of the sandboxes made without sandbox_create')
    .addOption(new Option('--guard <mode>', 'what the guard does on an alert').choices(['monitor', 'block', 'freeze', 'terminate']).default('block'))
    .option('--allow-domain <domain>', 'egress allowed to this domain (repeatable)', collectRepeated, [])
    .option('--deny-domain <domain>', 'always denied (repeatable)', collectRepeated, [])
    .option('--cpus <n>', 'CPU quota in cores')
    .option('--memory <size>', 'memory limit, e.g. 2g')
    .addOption(new Option('--log-level <level>', 'log level (JSON lines on stderr)').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .addOption(policyOption())
    .addOption(policyModeOption())
    .action(async (flags: McpFlags) => {
      const defaults = await sandboxDefaults(flags);
      // stdin carries the protocol: the policy's asks have no one to ask, so they are refused
      const commandPolicy = await loadPolicyGate(flags.policy, flags.policyMode);
      if (process.getuid?.() !== 0) throw new PraetorError('host-unsupported', 'praetor mcp needs root (it creates sandboxes); without root, point the MCP client at praetord\'s /mcp');
      // stdout is the protocol's: every log line goes to stderr
      const log = pino({ level: flags.logLevel, base: { service: 'praetor-mcp' } }, pino.destination(2));
      const { serveMcpStdio } = await import('../../mcp/mcp-stdio.js');
      await serveMcpStdio({ guardMode: flags.guard, defaults, version, log, ...(commandPolicy ? { commandPolicy } : {}) });
      log.flush();
    });
}

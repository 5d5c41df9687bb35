// praetor's MCP server: the guarded sandbox as tools, declared with zod input schemas (the service's
// own request schemas, so MCP and HTTP accept the same options). Each call is answered with the
// data as JSON text and as structured content; a failure is a tool error carrying `code: message`,
// never a stack trace.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Logger } from 'pino';
import { PraetorError, errorMessage } from '../core/errors.js';
import { ApiError } from '../service/api-error.js';
import { ExecBodySchema, SandboxCreateSchema } from '../service/sandbox-schemas.js';
import type { McpSandboxSession } from './mcp-session.js';

const sandboxId = z
  .string()
  .min(1)
  .max(128)
  .optional()
  .describe("The sandbox's id (sb-...). When absent: this session's current sandbox, created with default options on first use.");
const filePath = z.string().min(1).max(4096).describe('Inside /workspace or /tmp; relative paths start at /workspace.');
const encoding = z.enum(['utf8', 'base64']).default('utf8').describe('utf8 text (the default) or base64 for binary data.');

export const INSTRUCTIONS =
  'praetor runs commands in guarded Linux sandboxes: no network except through an egress proxy, resource limits, and a guard ' +
  'that watches processes, connections and protocols. Every exec (and every file operation) is a step; its result lists the ' +
  'alerts the step raised (rule, ATT&CK technique, severity, evidence) and what the guard did about them (killed, froze, ...). ' +
  'Sandboxes this session created are destroyed when it ends.';

/** One line for the caller: the typed code and message of a failure, nothing more. */
function toolError(err: unknown, log: Logger): CallToolResult {
  let text: string;
  if (err instanceof ApiError || err instanceof PraetorError) text = `${err.code}: ${err.message}`;
  else {
    log.error({ err: errorMessage(err) }, 'mcp tool failed');
    text = 'internal: internal error (see the praetor log)';
  }
  return { isError: true, content: [{ type: 'text', text: text.replace(/\s*\n\s*/g, ' ').slice(0, 1000) }] };
}

function answer(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data, null, 2) }], structuredContent: data };
}

/** Runs a tool's body, turning every failure into a tool error. */
function guarded(log: Logger, run: () => Record<string, unknown> | Promise<Record<string, unknown>>): Promise<CallToolResult> {
  return Promise.resolve()
    .then(run)
    .then(answer, (err: unknown) => toolError(err, log));
}

/** A server for one session: stdio has one per process, streamable HTTP one per MCP session. */
export function createMcpServer(session: McpSandboxSession, options: { version: string; log: Logger }): McpServer {
  const { log } = options;
  const server = new McpServer({ name: 'praetor', title: 'praetor guarded sandboxes', version: options.version }, { instructions: INSTRUCTIONS });

  server.registerTool(
    'sandbox_create',
    {
      title: 'Create a guarded sandbox',
      description:
        'Creates a sandbox (limits: cpus, memory, pids, disk; egress: allowDomains, denyDomains; env; guardMode: monitor, ' +
        'block, freeze or terminate; workspaceTar: a base64 tar unpacked into /workspace). It becomes the current sandbox.',
      inputSchema: SandboxCreateSchema,
      annotations: { destructiveHint: false, openWorldHint: false },
    },
    (args) => guarded(log, async () => ({ sandbox: await session.create(args) })),
  );

  server.registerTool(
    'sandbox_list',
    {
      title: 'List sandboxes',
      description: "The caller's sandboxes, with their state (running, frozen, destroyed) and step count.",
      inputSchema: z.strictObject({}),
      annotations: { readOnlyHint: true },
    },
    () => guarded(log, () => ({ sandboxes: session.list() })),
  );

  server.registerTool(
    'exec',
    {
      title: 'Run a command in the sandbox',
      description:
        'Runs one command as a step (a string runs with bash -c, an array is the argv; cwd defaults to /workspace). ' +
        'Answers stdout, stderr, exitCode, the step number, the alerts the step raised and the guard actions on them.',
      inputSchema: ExecBodySchema.extend({ sandbox: sandboxId }),
      annotations: { destructiveHint: true, openWorldHint: false },
    },
    ({ sandbox, ...body }) => guarded(log, async () => ({ ...(await session.exec(sandbox, body)) })),
  );

  server.registerTool(
    'read_file',
    {
      title: 'Read a file',
      description: 'Reads a file of the sandbox (as a step of its own, inside the sandbox with its rights).',
      inputSchema: z.strictObject({ sandbox: sandboxId, path: filePath, encoding }),
      annotations: { readOnlyHint: true },
    },
    ({ sandbox, path, encoding: as }) =>
      guarded(log, async () => {
        const { data, step } = await session.readFile(sandbox, path);
        return { content: data.toString(as), encoding: as, bytes: data.length, ...step };
      }),
  );

  server.registerTool(
    'write_file',
    {
      title: 'Write a file',
      description: 'Writes a file of the sandbox (parent directories are created), as a step of its own.',
      inputSchema: z.strictObject({ sandbox: sandboxId, path: filePath, content: z.string().max(16 * 2 ** 20), encoding }),
      annotations: { destructiveHint: true },
    },
    ({ sandbox, path, content, encoding: as }) => guarded(log, async () => ({ ...(await session.writeFile(sandbox, path, Buffer.from(content, as))) })),
  );

  server.registerTool(
    'list_files',
    {
      title: 'List a directory',
      description: 'Lists a directory of the sandbox: name, type, size.',
      inputSchema: z.strictObject({ sandbox: sandboxId, path: filePath.default('/workspace') }),
      annotations: { readOnlyHint: true },
    },
    ({ sandbox, path }) => guarded(log, async () => ({ ...(await session.listFiles(sandbox, path)) })),
  );

  server.registerTool(
    'list_alerts',
    {
      title: "List the sandbox's alerts",
      description:
        'Every alert of the sandbox so far (or of one step), with rule, ATT&CK technique, severity, step and evidence, and the ' +
        'guard actions on them. Alerts raised after a step returned (a process it left running) show here.',
      inputSchema: z.strictObject({ sandbox: sandboxId, step: z.number().int().positive().optional().describe('Only the alerts of this step.') }),
      annotations: { readOnlyHint: true },
    },
    ({ sandbox, step }) => guarded(log, () => session.alerts(sandbox, step)),
  );

  server.registerTool(
    'sandbox_destroy',
    {
      title: 'Destroy a sandbox',
      description: 'Destroys the sandbox (its processes die with it).',
      inputSchema: z.strictObject({ sandbox: sandboxId }),
      annotations: { destructiveHint: true, idempotentHint: true },
    },
    ({ sandbox }) => guarded(log, async () => ({ destroyed: await session.destroy(sandbox) })),
  );

  return server;
}

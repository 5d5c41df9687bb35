// The sandboxes API's bodies and answers as zod schemas: they validate requests and, through
// @hono/zod-openapi, are the OpenAPI document. Sandbox options come from the library's own schema,
// less `workspace` (a host path: a request never names one) plus what only the service has.
import { z } from '@hono/zod-openapi';
import { SandboxOptionsSchema } from '../sandbox/backend.js';
import { GuardPolicySchema } from '../guard/guard-policy.js';
import { SEVERITIES } from '../detect/alert.js';

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string().describe('One line; for a bad body, `path: message` items joined by "; ".') }) })
  .openapi('Error');

/** Base64 without whitespace; the byte cap is checked once decoded. */
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

export const SandboxCreateSchema = z
  .strictObject({
    ...SandboxOptionsSchema.omit({ workspace: true }).shape,
    guardMode: GuardPolicySchema.shape.mode.optional().describe('What the guard does on an alert in this sandbox (the daemon\'s --guard when absent).'),
    guardMinSeverity: z.enum(SEVERITIES).optional().describe('Alerts below this severity are recorded, never enforced.'),
    workspaceTar: base64.optional().describe('A tar archive (base64) unpacked into /workspace; absolute paths, "..", links and devices are refused.'),
  })
  .openapi('SandboxCreate');
export type SandboxCreate = z.infer<typeof SandboxCreateSchema>;

export const SandboxStateSchema = z.enum(['running', 'frozen', 'destroyed']);
export type SandboxState = z.infer<typeof SandboxStateSchema>;

export const SandboxViewSchema = z
  .object({
    id: z.string(),
    owner: z.string().describe('Id of the key that created it (`local` on the unix socket without a key).'),
    createdAt: z.number().describe('Epoch ms.'),
    state: SandboxStateSchema,
    steps: z.number().int().describe('Steps (execs) begun so far.'),
    gpus: z
      .array(z.object({ index: z.number().int(), uuid: z.string().describe('GPU- or MIG- uuid, as CUDA_VISIBLE_DEVICES names it.'), name: z.string() }))
      .describe('The GPUs (or MIG instances) the sandbox holds.'),
    options: z.object({
      cpus: z.number(),
      memory: z.number().describe('Bytes.'),
      pids: z.number(),
      disk: z.number().describe('Bytes.'),
      env: z.record(z.string(), z.string()),
      allowDomains: z.array(z.string()),
      denyDomains: z.array(z.string()),
      allowCidrs: z.array(z.string()),
      gpu: z.boolean(),
      gpus: z.union([z.number(), z.array(z.string())]).optional().describe('The GPUs asked for.'),
      allowUnmonitoredGpu: z.boolean().describe('Whether GPUs were granted though GPU monitoring did not work.'),
      labels: z.record(z.string(), z.string()),
      guardMode: z.string(),
      guardMinSeverity: z.string(),
    }),
  })
  .openapi('Sandbox');
export type SandboxView = z.infer<typeof SandboxViewSchema>;

export const SandboxListSchema = z.object({ sandboxes: z.array(SandboxViewSchema) }).openapi('SandboxList');

export const SandboxIdParams = z.object({ id: z.string().min(1).max(128).openapi({ param: { name: 'id', in: 'path' } }) });

const envVars = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.string());
export const MAX_EXEC_TIMEOUT_MS = 24 * 3600 * 1000;
export const DEFAULT_EXEC_TIMEOUT_MS = 300_000;

export const ExecBodySchema = z
  .strictObject({
    command: z
      .union([z.string().min(1, 'must not be empty'), z.array(z.string()).min(1, 'must not be empty')])
      .describe('A string runs with `bash -c`; an array is the argv itself.'),
    cwd: z.string().min(1).max(4096).optional().describe('Working directory inside the sandbox (default /workspace).'),
    env: envVars.optional(),
    stdin: z.string().max(16 * 2 ** 20).optional().describe('UTF-8 text written to the command\'s stdin.'),
    timeoutMs: z.number().int().positive().max(MAX_EXEC_TIMEOUT_MS).optional().describe(`Kill the step after this long (default ${DEFAULT_EXEC_TIMEOUT_MS}).`),
    maxOutputBytes: z.number().int().positive().max(64 * 2 ** 20).optional().describe('Bytes kept of each of stdout and stderr (default 1 MiB).'),
  })
  .openapi('ExecRequest');
export type ExecBody = z.infer<typeof ExecBodySchema>;

export const RunBodySchema = z
  .strictObject({
    ...ExecBodySchema.shape,
    sandbox: SandboxCreateSchema.optional().describe('Options of the sandbox made for this one command, as for POST /v1/sandboxes.'),
  })
  .openapi('RunRequest');
export type RunBody = z.infer<typeof RunBodySchema>;

export const AlertSchema = z
  .object({
    id: z.string(),
    ruleId: z.string(),
    title: z.string(),
    technique: z.string().describe('MITRE ATT&CK technique.'),
    tactic: z.string().optional(),
    severity: z.enum(SEVERITIES),
    time: z.number(),
    sandboxId: z.string(),
    step: z.number().nullable().describe('The sandbox step (exec) that caused it.'),
    pid: z.number().nullable(),
    argv: z.array(z.string()).nullable(),
    evidence: z.array(z.record(z.string(), z.unknown())),
    latencyMs: z.number(),
    description: z.string(),
  })
  .openapi('Alert');

export const GuardActionSchema = z
  .object({
    time: z.number(),
    sandboxId: z.string(),
    alertId: z.string(),
    action: z.enum(['record', 'deny-stream', 'kill-tree', 'kill-step', 'freeze', 'thaw', 'terminate']),
    target: z.string().nullable(),
    ok: z.boolean(),
    error: z.string().nullable(),
  })
  .openapi('GuardAction');

export const ExecResultSchema = z
  .object({
    step: z.number().int(),
    exitCode: z.number().int().nullable(),
    signal: z.string().nullable(),
    stdout: z.string().describe('UTF-8 (invalid bytes replaced).'),
    stderr: z.string(),
    stdoutTruncated: z.boolean(),
    stderrTruncated: z.boolean(),
    timedOut: z.boolean(),
    durationMs: z.number(),
    alerts: z.array(AlertSchema).describe('Alerts raised by this step so far.'),
    actions: z.array(GuardActionSchema).describe('What the guard did about them.'),
  })
  .openapi('ExecResult');
export type ExecResultView = z.infer<typeof ExecResultSchema>;

export const AlertListSchema = z.object({ alerts: z.array(AlertSchema), actions: z.array(GuardActionSchema) }).openapi('AlertList');
export const StepQuery = z.object({ step: z.coerce.number().int().positive().optional() });

export const SessionCreateSchema = z
  .strictObject({
    cwd: z.string().min(1).max(4096).optional().describe('Starting directory (default /workspace).'),
    env: envVars.optional().describe('Variables exported at the start.'),
  })
  .openapi('SessionCreate');
export const SessionSchema = z.object({ session: z.string() }).openapi('Session');
export const SessionParams = SandboxIdParams.extend({ session: z.string().min(1).max(64).openapi({ param: { name: 'session', in: 'path' } }) });
export const SessionExecSchema = z
  .strictObject({
    command: z.string().min(1, 'must not be empty').describe('One bash command line; cd and export persist to the next.'),
    timeoutMs: z.number().int().positive().max(MAX_EXEC_TIMEOUT_MS).optional(),
    maxOutputBytes: z.number().int().positive().max(64 * 2 ** 20).optional(),
  })
  .openapi('SessionExec');

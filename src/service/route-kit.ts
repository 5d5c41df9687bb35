// What every route module shares: the app's type, its dependencies, and the OpenAPI pieces that
// repeat (JSON content, the error responses each route can give, the bearer security scheme).
import type { ApprovalQueue } from '../policy/approval.js';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { z } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import { ErrorSchema } from './sandbox-schemas.js';
import type { ServiceEnv } from './auth.js';
import type { SandboxService } from './sandbox-service.js';
import type { EnvService } from './env-service.js';
import type { KeyBook } from './key-store.js';
import type { EventHub } from './event-hub.js';
import type { ServiceMetrics } from './service-metrics.js';
import type { AlertHistory } from './alert-history.js';
import type { SandboxTelemetry } from './sandbox-telemetry.js';
import type { RedteamReports } from './redteam-reports.js';
import type { UiSessions } from './ui-session.js';

export type ServiceApp = OpenAPIHono<ServiceEnv>;

export interface ServiceLimits {
  /** Largest JSON body (bytes) of ordinary routes. */
  readonly jsonBytes: number;
  /** Largest upload: a file, a tar archive, a create body with its workspace archive. */
  readonly uploadBytes: number;
}

export const DEFAULT_LIMITS: ServiceLimits = { jsonBytes: 2 ** 20, uploadBytes: 64 * 2 ** 20 };

export interface ServiceDeps {
  readonly sandboxes: SandboxService;
  readonly envs: EnvService;
  readonly keys: KeyBook;
  readonly hub: EventHub;
  readonly metrics: ServiceMetrics;
  readonly log: Logger;
  /** Empty when the guard, the backend and the store are up; else what is not. */
  readonly readiness: () => string[];
  readonly limits?: Partial<ServiceLimits>;
  readonly version?: string;
  /** Where the command policy's asks wait (serve --policy); the approvals routes answer 404 without it. */
  readonly approvals?: ApprovalQueue;
  /** Recent alerts and actions (GET /v1/alerts); empty answers without it. */
  readonly history?: AlertHistory;
  /** Per-sandbox samples, network decisions and steps (GET /v1/sandboxes/{id}/telemetry). */
  readonly telemetry?: SandboxTelemetry;
  /** Past red-team reports (GET /v1/redteam/reports). */
  readonly reports?: RedteamReports;
  /** The dashboard: the folder of its built files and the login sessions; no /ui without it. */
  readonly ui?: { readonly dir: string; readonly sessions: UiSessions };
  /** Routes a layer above the service adds (the MCP endpoint): each gets the app and these deps. */
  readonly mounts?: readonly ServiceMount[];
}

/** Adds routes to the app from above the service (it can not import them): `praetor serve` passes them. */
export type ServiceMount = (app: ServiceApp, deps: ServiceDeps) => void;

export function json<T extends z.ZodType>(schema: T, description: string): { description: string; content: { 'application/json': { schema: T } } } {
  return { description, content: { 'application/json': { schema } } };
}

export function jsonBody<T extends z.ZodType>(schema: T, required = true): { required: boolean; content: { 'application/json': { schema: T } } } {
  return { required, content: { 'application/json': { schema } } };
}

const ERROR_TEXT: Record<number, string> = {
  400: 'Bad input: `path: message` items',
  401: 'Missing or invalid API key',
  403: 'The key\'s scope does not cover this route',
  404: 'Unknown, or owned by another key',
  409: 'The sandbox is frozen or destroyed',
  413: 'Body (or file) too large',
  415: 'Send Content-Type: application/json',
  429: 'Over the key\'s quota',
  503: 'Not ready, or the sandbox could not be created',
};

export function errors(...statuses: number[]): Record<number, ReturnType<typeof json<typeof ErrorSchema>>> {
  const out: Record<number, ReturnType<typeof json<typeof ErrorSchema>>> = {};
  for (const s of [401, ...statuses]) out[s] = json(ErrorSchema, ERROR_TEXT[s] ?? 'Error');
  return out;
}

export const SECURITY = [{ bearer: [] }];

export const SSE_CONTENT = { 'text/event-stream': { schema: { type: 'string' as const, description: 'Server-sent events' } } };
export const BINARY_CONTENT = { 'application/octet-stream': { schema: { type: 'string' as const, format: 'binary' } } };
export const TAR_CONTENT = { 'application/x-tar': { schema: { type: 'string' as const, format: 'binary' } } };

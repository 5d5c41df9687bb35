// The scripted model server under the names the OpenAI-client tests have used: one script of
// assistant turns, served on every API (fake-model-server.ts); these tests speak chat completions.
import { startFakeModelServer, type FakeModelServer, type ScriptToolCall, type ScriptTurn } from './fake-model-server.js';

export type { RecordedRequest } from './fake-model-server.js';
export type FakeToolCall = ScriptToolCall;
export type FakeResponse = ScriptTurn;
export type FakeOpenAiServer = FakeModelServer;

export interface FakeOpenAiServerOptions {
  /** Pieces text and each tool call's arguments are split into when streaming (default 3). */
  argumentPieces?: number;
  /** When set, the SSE text is written in pieces of this many bytes, splitting lines and events. */
  writeBytes?: number;
}

export function startFakeOpenAiServer(script: readonly FakeResponse[], options: FakeOpenAiServerOptions = {}): Promise<FakeOpenAiServer> {
  return startFakeModelServer(script, {
    ...(options.argumentPieces !== undefined ? { pieces: options.argumentPieces } : {}),
    ...(options.writeBytes !== undefined ? { writeBytes: options.writeBytes } : {}),
  });
}

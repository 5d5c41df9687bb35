// The agent's public surface: tools, policies and the model client.
export type { Observation, ToolCall, ToolResult } from './agent-types.js';
export type { AgentPolicy, HistoryEntry, PolicyContext, PolicyDecision, TokenUsage } from './policies/policy.js';
export { LlmPolicy, type LlmBudgets, type LlmPolicyOptions } from './policies/llm-policy.js';
export { ScriptedPolicy, ScriptStepSchema, loadScript, loadScriptFile, type LoadScriptResult, type ScriptStep } from './policies/scripted-policy.js';
export { buildSystemPrompt } from './policies/system-prompt.js';
export {
  ModelError,
  type ChatCompletion,
  type ChatMessage,
  type ChatRequest,
  type ModelClient,
  type ModelErrorCode,
  type ModelToolCall,
} from './model/model-client.js';
export { OpenAiClient, type OpenAiClientOptions } from './model/openai-client.js';
export { startFakeOpenAiServer, type FakeOpenAiServer, type FakeResponse } from './model/fake-openai-server.js';
export { ToolRegistry, defaultTools, type ToolDeclaration } from './tools/tool-registry.js';
export { defineTool, type BuildResult, type Tool, type ToolContext, type ToolInvocation, type ToolSpec } from './tools/tool.js';
export { FakeSandbox } from './tools/fake-sandbox.js';

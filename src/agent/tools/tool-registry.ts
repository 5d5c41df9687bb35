// The tools a policy may call: their declarations for the model, and one entry point that runs a
// call and never throws for whatever the model wrote.
import type { Sandbox } from '../../sandbox/backend.js';
import type { ToolCall, ToolResult } from '../agent-types.js';
import { bashTool } from './bash-tool.js';
import { editFileTool } from './edit-file-tool.js';
import { grepTool } from './grep-tool.js';
import { listDirTool } from './list-dir-tool.js';
import { readFileTool } from './read-file-tool.js';
import { failureObservation, observation, type BuildResult, type Tool } from './tool.js';
import { writeFileTool } from './write-file-tool.js';

/** A tool as OpenAI-compatible chat APIs take it. */
export interface ToolDeclaration {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/** bash, read_file, write_file, edit_file, list_dir, grep. */
export function defaultTools(): Tool[] {
  return [bashTool(), readFileTool(), writeFileTool(), editFileTool(), listDirTool(), grepTool()];
}

export class ToolRegistry {
  private readonly tools = new Map<string, Tool>();

  constructor(tools: readonly Tool[] = defaultTools()) {
    for (const tool of tools) {
      if (this.tools.has(tool.name)) throw new Error(`two tools are named ${tool.name}`);
      this.tools.set(tool.name, tool);
    }
  }

  names(): string[] {
    return [...this.tools.keys()];
  }

  get(name: string): Tool | undefined {
    return this.tools.get(name);
  }

  declarations(): ToolDeclaration[] {
    return [...this.tools.values()].map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.jsonSchema() },
    }));
  }

  /** Validates a call: the reason comes back as data, worded for the model. */
  build(call: Pick<ToolCall, 'name' | 'arguments'>): BuildResult {
    const tool = this.tools.get(call.name);
    if (tool === undefined) return { ok: false, error: `unknown tool "${call.name}"; the tools are: ${this.names().join(', ')}` };
    const built = tool.build(call.arguments);
    return built.ok ? built : { ok: false, error: `invalid arguments for ${call.name}: ${built.error}` };
  }

  async run(call: ToolCall, sandbox: Sandbox, signal?: AbortSignal): Promise<ToolResult> {
    const built = this.build(call);
    if (!built.ok) return { observation: observation(built.error, true), sandboxSteps: [] };
    try {
      return await built.invocation.execute(sandbox, signal);
    } catch (err) {
      // Invocations report failures as data; this guards a tool that breaks that promise.
      return { observation: failureObservation(call.name, err), sandboxSteps: [] };
    }
  }
}

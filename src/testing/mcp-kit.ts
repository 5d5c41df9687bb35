// What the MCP tests share (never product code): the tool names praetor serves, a miner command
// line, and a tool call that returns the structured result, the error flag and the text.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WALLET } from './miner-test-kit.js';

export type ToolData = Record<string, unknown>;

export const MCP_TOOLS = ['exec', 'list_alerts', 'list_files', 'read_file', 'sandbox_create', 'sandbox_destroy', 'sandbox_list', 'write_file'];

/** The test miner's arguments: a Stratum pool URL and a wallet on its command line, 3 s of work. */
export const MINER_ARGS = ['-o', 'stratum+tcp://127.0.0.1:3333', '-u', WALLET, '-p', 'x', '-t', '1', '--max-cpu-usage', '20', '--run-seconds', '3'];

export async function callTool(client: Client, name: string, args: ToolData = {}): Promise<{ data: ToolData; isError: boolean; text: string }> {
  const result = await client.callTool({ name, arguments: args });
  const content = result.content as { type: string; text: string }[];
  return { data: (result.structuredContent ?? {}) as ToolData, isError: result.isError === true, text: content[0]?.text ?? '' };
}

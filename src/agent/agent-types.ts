// The types shared by the agent's tools, policies and loop: what the model asked for, what it
// saw back, and which sandbox steps carried it out.

/** One tool call chosen by a policy (a model, a script). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

/**
 * What the policy sees after a call. `denied` means praetor refused the call (policy, guard,
 * sandbox gone); a command that ran and failed, or got a 403 from the egress proxy, is not denied:
 * that is the command's own output.
 */
export interface Observation {
  content: string;
  isError: boolean;
  denied: boolean;
}

export interface ToolResult {
  observation: Observation;
  /** ExecResult.step of each exec the tool ran, in order. */
  sandboxSteps: number[];
}

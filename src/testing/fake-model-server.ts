// The scripted model server tests drive agents with; it ships with praetor (the red team and the
// demo play their scripts through real agent CLIs with it), so it lives in src/agent/cli-agents.
export * from '../agent/cli-agents/scripted-model-server.js';

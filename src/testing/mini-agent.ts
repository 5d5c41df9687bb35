// A minimal agent CLI that runs inside a sandbox, for tests and demos of the agent-native path:
// Python 3 with the standard library only, so any sandbox with python3 can run it. It speaks
// OpenAI chat completions to $OPENAI_BASE_URL (urllib honours the sandbox's HTTP_PROXY), offers
// one tool, bash, runs each call with subprocess and sends the output back as a tool message.

/** Where runAgentNativeEpisode's `files` put it in the sandbox. */
export const MINI_AGENT_PATH = '/tmp/mini-agent.py';

/** The command that runs it; the instruction comes from $PRAETOR_INSTRUCTION or argv[1]. */
export const MINI_AGENT_COMMAND: readonly string[] = ['python3', MINI_AGENT_PATH];

export const MINI_AGENT_SCRIPT = String.raw`#!/usr/bin/env python3
"""praetor mini-agent: a chat-completions loop with one tool, bash."""
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

MAX_TURNS = 10
TOOL_TIMEOUT_S = 120
MAX_OUTPUT = 16000
TOOLS = [{
    "type": "function",
    "function": {
        "name": "bash",
        "description": "Run a bash command in the workspace; returns its output and exit code.",
        "parameters": {
            "type": "object",
            "properties": {"command": {"type": "string", "description": "The command."}},
            "required": ["command"],
        },
    },
}]


def complete(messages):
    base = os.environ["OPENAI_BASE_URL"].rstrip("/")
    body = {"model": os.environ.get("OPENAI_MODEL", "praetor"), "messages": messages, "tools": TOOLS}
    request = urllib.request.Request(
        base + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["OPENAI_API_KEY"]},
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.load(response)["choices"][0]["message"]


def run_bash(arguments):
    try:
        command = json.loads(arguments or "{}")["command"]
    except (ValueError, KeyError, TypeError) as err:
        return "error: arguments must be a JSON object with a command: %s" % err
    try:
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return "error: the command timed out after %d s" % TOOL_TIMEOUT_S
    output = done.stdout + done.stderr
    if done.returncode != 0:
        output += "\n[exit code %d]" % done.returncode
    return output[-MAX_OUTPUT:]


def main():
    instruction = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PRAETOR_INSTRUCTION", "")
    messages = [
        {"role": "system", "content": "You are a coding agent. Use the bash tool to work in the current directory."},
        {"role": "user", "content": instruction},
    ]
    for _ in range(MAX_TURNS):
        try:
            message = complete(messages)
        except urllib.error.HTTPError as err:
            print("model request failed: HTTP %d: %s" % (err.code, err.read().decode(errors="replace")), file=sys.stderr)
            return 1
        calls = message.get("tool_calls") or []
        turn = {"role": "assistant", "content": message.get("content")}
        if calls:
            turn["tool_calls"] = calls
        messages.append(turn)
        if not calls:
            print(message.get("content") or "")
            return 0
        for call in calls:
            function = call.get("function") or {}
            if function.get("name") == "bash":
                result = run_bash(function.get("arguments"))
            else:
                result = "error: unknown tool %s" % function.get("name")
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
    print("stopped: no answer after %d turns" % MAX_TURNS, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
`;

#!/usr/bin/env bash
# Installs the real agent CLIs praetor runs agent-natively (qwen-code, claude-code, codex) from npm
# into one prefix that every sandbox sees read-only (/opt is part of the sandbox's read-only base).
#   scripts/install-agents.sh            install into $PRAETOR_AGENTS_DIR (default /opt/agent-clis)
# Versions are pinned: the test scripts play the tool names and request shapes of these versions.
# Idempotent: does nothing when the pinned versions are already there.
set -euo pipefail
dir="${PRAETOR_AGENTS_DIR:-/opt/agent-clis}"
packages=(
  "@qwen-code/qwen-code@0.24.4"        # about 125 MB; OpenAI chat completions
  "@anthropic-ai/claude-code@2.1.332"  # about 385 MB (a native binary from its platform package); Anthropic Messages
  "@openai/codex@0.171.0"              # about 425 MB (a native binary from its platform package); OpenAI Responses
)
installed() {
  local spec="$1" name version
  name="${spec%@*}"
  version="${spec##*@}"
  [ -f "$dir/node_modules/$name/package.json" ] &&
    [ "$(node -p "require('$dir/node_modules/$name/package.json').version" 2>/dev/null)" = "$version" ]
}
missing=0
for p in "${packages[@]}"; do installed "$p" || missing=1; done
if [ "$missing" = 0 ]; then
  echo "install-agents: qwen-code, claude-code and codex are installed in $dir"
  exit 0
fi
mkdir -p "$dir"
echo "install-agents: installing ${packages[*]} into $dir"
# --omit=dev: the CLIs' runtime only. claude-code's postinstall links its platform binary into
# place; codex's launcher finds its platform package at run time.
npm install --prefix "$dir" --no-audit --no-fund --omit=dev --no-save "${packages[@]}"
for p in "${packages[@]}"; do
  installed "$p" || { echo "install-agents: $p did not install into $dir" >&2; exit 1; }
done
echo "install-agents: done ($(du -sh "$dir" | cut -f1) in $dir)"

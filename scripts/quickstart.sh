#!/usr/bin/env bash
# praetor quick start for a fresh Debian 12 / Ubuntu machine, as root.
#   scripts/quickstart.sh demo   install what is missing, build, run the ROME replay demo
#   scripts/quickstart.sh test   install what is missing, build, lint, run every test
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }
have bwrap || need_apt+=(bubblewrap)
have nft || need_apt+=(nftables)
have ip || need_apt+=(iproute2)
have nsenter || need_apt+=(util-linux)
# Each sandbox's /workspace and /tmp live on a size-limited ext4 image (mkfs.ext4).
[ -x /sbin/mkfs.ext4 ] || have mkfs.ext4 || need_apt+=(e2fsprogs)
have cc || need_apt+=(gcc libc6-dev)
have g++ || need_apt+=(g++)
# The native client of `praetor run` through praetord (native/praetor-run.cc): libcurl, libcrypto, nlohmann-json.
[ -e /usr/include/curl/curl.h ] || ls /usr/include/*-linux-gnu/curl/curl.h >/dev/null 2>&1 || need_apt+=(libcurl4-openssl-dev)
[ -e /usr/include/nlohmann/json.hpp ] || need_apt+=(nlohmann-json3-dev)
[ -e /usr/include/openssl/evp.h ] || need_apt+=(libssl-dev)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib/aarch64-linux-gnu/libc.a ] || need_apt+=(libc6-dev)
have socat || need_apt+=(socat)
have rg || need_apt+=(ripgrep)
have python3 || need_apt+=(python3)
have curl || need_apt+=(curl)
have ssh || need_apt+=(openssh-client)
# The red team's fake outside host runs a real OpenSSH server inside praetor's own netns.
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
have nmap || need_apt+=(nmap)
have ncat || need_apt+=(ncat)
have git || need_apt+=(git)
have make || need_apt+=(make)
have crontab || need_apt+=(cron)
have ps || need_apt+=(procps)
# capsh: a root test runs the CLI without one capability (and docs/deploy.md's capability check)
have capsh || need_apt+=(libcap2-bin)
# The red team's shells, tunnels and discovery in many languages and tools (issue 15's scenarios)
# and the interpreters the socket-aware signals are tested with: tests only, the demo needs none.
if [ "${1:-demo}" = test ]; then
  have busybox || need_apt+=(busybox)
  have php || need_apt+=(php-cli)
  have ruby || need_apt+=(ruby)
  have lua5.4 || need_apt+=(lua5.4)
  have zsh || need_apt+=(zsh)
  have gawk || need_apt+=(gawk)
  have hping3 || need_apt+=(hping3)
  have autossh || need_apt+=(autossh)
  have telnet || need_apt+=(telnet)
  have ping || need_apt+=(iputils-ping)
  have jq || need_apt+=(jq)
  have sqlite3 || need_apt+=(sqlite3)
  have cmake || need_apt+=(cmake)
  have rustc || need_apt+=(rustc)
  have zip || need_apt+=(zip unzip)
  have bc || need_apt+=(bc)
  have file || need_apt+=(file)
  /usr/bin/python3 -c 'import pytest' >/dev/null 2>&1 || need_apt+=(python3-pytest)
fi
# Node.js 20 or later must be there already: Debian 12's own nodejs package is 18 (checked below).
if ! have node || ! have npm; then
  echo "quickstart: praetor needs Node.js 20 or later with npm; none is installed" >&2
  exit 69
fi
# The HTML report's browser test drives Debian's Chromium (tests only).
[ "${1:-demo}" = test ] && { have chromium || need_apt+=(chromium); }
# The Python client's tests install it offline with Debian's venv, setuptools and wheel (tests only).
[ "${1:-demo}" = test ] && { /usr/bin/python3 -c 'import ensurepip, setuptools, wheel' >/dev/null 2>&1 || need_apt+=(python3-venv python3-setuptools python3-wheel); }
# The PostgreSQL store and fleet tests start a throwaway Debian PostgreSQL server of their own (tests only).
[ "${1:-demo}" = test ] && { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql); }
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "quickstart: run as root (needs: ${need_apt[*]})" >&2; exit 1; fi
  echo "quickstart: installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Packages install without starting their services (openssh-server would start sshd on the
  # host's port 22): the red team starts its own sshd inside its fake world only.
  no_start=/usr/sbin/policy-rc.d
  added_policy=0
  if [ ! -e "$no_start" ]; then printf '#!/bin/sh\nexit 101\n' >"$no_start" && chmod +x "$no_start" && added_policy=1; fi
  [ "$added_policy" = 1 ] && trap 'rm -f "$no_start"' EXIT
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  [ "$added_policy" = 1 ] && rm -f "$no_start" && trap - EXIT
fi
# praetor needs Node.js 20 or later (Debian 12's own nodejs package is 18).
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "quickstart: praetor needs Node.js 20 or later, this machine has $(node --version); install a newer Node.js first" >&2
  exit 69
fi
mode="${1:-demo}"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # The demo keeps its episodes in memory, so it skips better-sqlite3's native build (about 90 s
  # on two cores); the tests build it below.
  if [ "$mode" = demo ]; then npm ci --no-audit --no-fund --ignore-scripts; else npm ci --no-audit --no-fund; fi
fi
if [ "$mode" != demo ] && [ ! -e node_modules/better-sqlite3/build/Release/better_sqlite3.node ]; then
  echo "quickstart: building better-sqlite3's native module"
  npm rebuild better-sqlite3
fi
echo "quickstart: building praetor"
# Here the native client is part of the build (elsewhere a build without it warns and uses node).
PRAETOR_REQUIRE_NATIVE_CLIENT=1 npm run --silent build

case "$mode" in
  demo) shift || true; case " $* " in *" --agent "*) bash scripts/install-agents.sh ;; esac; exec node dist/cli/main.js demo "$@" ;;
  # the red team through the real agent CLIs is part of the tests (about 950 MB from npm, once)
  test) bash scripts/install-agents.sh && npm run --silent lint && exec npm test --silent ;;
  *) echo "usage: scripts/quickstart.sh demo|test" >&2; exit 64 ;;
esac

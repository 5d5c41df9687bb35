#!/bin/bash
# Runs `praetor run` (root, after `npm run build`) under a capability bounding set equal to the
# node DaemonSet's list (deploy/node-daemonset.yaml), then with each capability of it dropped alone,
# and prints whether the sandbox ran with the guard's process, proxy and firewall-log alerts.
# Figures for docs/deploy.md; asserts nothing. The connection it tries is to 10.241.0.1, the host
# end of praetor's first cell: the cell's own firewall drops it.
cd "$(dirname "$0")/.." || exit 1
KEEP="cap_sys_admin cap_net_admin cap_sys_ptrace cap_sys_nice cap_chown cap_dac_override cap_fowner cap_kill cap_setuid cap_setgid"
ALL=$(capsh --print | sed -n 's/^Bounding set =//p' | tr ',' ' ')
PROBE='mkdir -p ~/.ssh; echo k > ~/.ssh/id_rsa; cat ~/.ssh/id_rsa >/dev/null; wget -q -T 2 -O- http://off-list.invalid/ ; nc -w1 10.241.0.1 9 </dev/null; echo ok'
try() { # $1: label, $2: the capabilities kept
  local drop="" c out rc rules ok=no err
  for c in $ALL; do case " $2 " in *" $c "*) ;; *) drop="$drop,$c" ;; esac; done
  err=$(mktemp)
  out=$(capsh --drop="${drop#,}" -- -c "PRAETOR_SOCKET=/nonexistent timeout 120 node dist/cli/main.js run --json --guard monitor -- sh -c '$PROBE'" 2>"$err")
  rc=$?
  rules=$(echo "$out" | grep -o '"rule":"[a-z-]*"' | sort -u | tr '\n' ' ')
  echo "$out" | grep -q '"stdout":"ok\\n"' && echo "$rules" | grep -q ssh-private-key-read && echo "$rules" | grep -q egress-denied-proxy && echo "$rules" | grep -q egress-refused && ok=yes
  echo "$1: exit $rc, works: $ok, rules: [$rules] stderr: $(head -c 300 "$err" | tr '\n' ' ')"
  rm -f "$err"
}
try "the DaemonSet's list" "$KEEP"
if [ "$1" = "--each" ]; then for c in $KEEP; do try "without $c" "$(echo " $KEEP " | sed "s/ $c / /")"; done; fi

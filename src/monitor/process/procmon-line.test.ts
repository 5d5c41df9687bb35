import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseLeaf, parseProcmonLine } from './procmon-line.js';

describe('parseProcmonLine', () => {
  it('parses an exec with escaped argv: quotes, backslashes, control characters, raw bytes', () => {
    // what praetor-procmon prints for argv[0] = 'a"b\c<TAB><0x01><0xff>é'
    const text =
      '{"e":"exec","pid":42,"t":1700000000123.456,"cg":"praetor/sb-1/step-3","exe":"/usr/bin/sleep",' +
      '"cwd":"/workspace","argv":["a\\"b\\\\c\\u0009\\u0001\\u00ff\u00e9","1"],"ppid":41,"uid":1600000000}';
    const r = parseProcmonLine(text);
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.equal(r.line.e, 'exec');
    if (r.line.e !== 'exec') return;
    assert.deepEqual(r.line.argv, ['a"b\\c\t\u0001\u00ffé', '1']);
    assert.equal(r.line.t, 1700000000123.456);
    assert.equal(r.line.uid, 1600000000);
  });

  it('keeps an exec whose process was gone before /proc was read', () => {
    const r = parseProcmonLine('{"e":"exec","pid":7,"t":1,"cg":"praetor/sb-1/init","exe":null,"cwd":null,"argv":null,"ppid":null,"uid":null}');
    assert.ok(r.ok);
    assert.equal(r.ok && r.line.e === 'exec' ? r.line.argv : 'x', null);
  });

  it('parses exit, overrun, ready and sync lines', () => {
    const lines = [
      '{"e":"exit","pid":42,"t":5,"code":0,"sig":null}',
      '{"e":"exit","pid":42,"t":5,"code":null,"sig":9}',
      '{"e":"overrun","t":5}',
      '{"e":"ready","t":5,"sched":"fifo"}',
      '{"e":"sync","n":3}',
    ];
    assert.deepEqual(
      lines.map((l) => parseProcmonLine(l).ok),
      [true, true, true, true, true],
    );
  });

  it('reports bad lines as data, never throws', () => {
    const bad = [
      '',
      'not json',
      '{"e":"exec","pid":42', // cut short
      '{"e":"fork","pid":1,"t":1}', // unknown kind
      '{"e":"exit","pid":-1,"t":1,"code":0,"sig":null}',
      '{"e":"exit","pid":1,"t":1,"code":300,"sig":null}',
      '{"e":"exec","pid":1,"t":1,"cg":"praetor/a/init","exe":null,"cwd":null,"argv":[1],"ppid":null,"uid":null}',
      '[]',
      'null',
    ];
    for (const text of bad) {
      const r = parseProcmonLine(text);
      assert.equal(r.ok, false, text);
      assert.ok(!r.ok && r.error.length > 0);
    }
    const r = parseProcmonLine('{"e":"exec","pid":1,"t":1,"cg":"x","exe":null,"cwd":null,"argv":["a",2],"ppid":null,"uid":null}');
    assert.ok(!r.ok && r.error.includes('argv[1]'), 'the error names the path');
  });
});

describe('parseLeaf', () => {
  it('maps step-N to N and init to null', () => {
    assert.deepEqual(parseLeaf('praetor/sb-0a1b2c3d4e/step-12'), { sandboxId: 'sb-0a1b2c3d4e', step: 12 });
    assert.deepEqual(parseLeaf('praetor/sb-0a1b2c3d4e/init'), { sandboxId: 'sb-0a1b2c3d4e', step: null });
    assert.deepEqual(parseLeaf('praetor/sb-1/step-2/nested'), { sandboxId: 'sb-1', step: 2 });
  });

  it('refuses paths that are not a praetor leaf', () => {
    for (const cg of ['praetor/sb-1', 'praetor/sb-1/', 'praetor/sb-1/step-', 'praetor/sb-1/step-0', 'praetor/sb-1/step-x',
      'praetor/sb-1/other', 'praetor//init', 'system.slice/praetor/sb-1/init', '/praetor/sb-1/init', '',
      'praetor/sb-1/step-99999999999999999999']) {
      assert.equal(parseLeaf(cg), null, cg);
    }
  });
});

import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { credentialLabel, parseFanotifyLine } from './fanotify-line.js';

describe('praetor-fanotify lines', () => {
  it('parses a read with its reader, and both shapes of a mark answer', () => {
    const read = parseFanotifyLine(
      '{"e":"read","t":1.5,"pid":42,"how":"access","dev":2049,"ino":17,"path":"/d/tmp/home/.aws/credentials","cg":"praetor/sb-1/step-3","exe":"/usr/bin/python3.11","argv":["python3","-c","x"]}',
    );
    assert.ok(read.ok && read.line.e === 'read' && read.line.pid === 42 && read.line.cg === 'praetor/sb-1/step-3');
    const ok = parseFanotifyLine('{"e":"marked","tag":3,"ok":true,"dev":1,"ino":2}');
    assert.ok(ok.ok && ok.line.e === 'marked' && ok.line.ok);
    const failed = parseFanotifyLine('{"e":"marked","tag":4,"ok":false,"err":"No such file or directory"}');
    assert.ok(failed.ok && failed.line.e === 'marked' && !failed.line.ok && failed.line.err.startsWith('No such'));
  });

  it('returns bad lines as data', () => {
    assert.equal(parseFanotifyLine('nope').ok, false);
    assert.equal(parseFanotifyLine('{"e":"read","pid":-1}').ok, false);
  });

  it('names the real credential files of a home, and nothing else', () => {
    assert.equal(credentialLabel('.aws/credentials'), 'aws');
    assert.equal(credentialLabel('.ssh/id_rsa'), 'ssh-key');
    assert.equal(credentialLabel('.ssh/id_ed25519.pub'), null);
    assert.equal(credentialLabel('.ssh/known_hosts'), null);
    assert.equal(credentialLabel('.netrc'), 'netrc');
    assert.equal(credentialLabel('.bashrc'), null);
    assert.equal(credentialLabel('.aws/config'), null);
  });
});

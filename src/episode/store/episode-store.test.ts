// Tests for the store factory: which URLs open which store, and clear errors for the rest.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PraetorError } from '../../core/errors.js';
import { makeEpisode } from '../episode-fixtures.js';
import { openEpisodeStore } from './open-store.js';

const dir = mkdtempSync(join(tmpdir(), 'praetor-store-url-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function configError(pattern: RegExp): (err: unknown) => boolean {
  return (err) => err instanceof PraetorError && err.code === 'invalid-config' && pattern.test(err.message);
}

describe('openEpisodeStore', () => {
  it('opens sqlite::memory:', () => {
    const store = openEpisodeStore('sqlite::memory:');
    store.createEpisode(makeEpisode());
    assert.equal(store.listEpisodes().length, 1);
    store.close();
  });

  it('opens sqlite:/path and sqlite:///path as the same file', () => {
    const path = join(dir, 'episodes.db');
    const a = openEpisodeStore(`sqlite:${path}`);
    a.createEpisode(makeEpisode());
    a.close();
    const b = openEpisodeStore(`sqlite://${path}`);
    assert.equal(b.getEpisode('ep-1')?.id, 'ep-1');
    b.close();
  });

  it('opens postgres:// URLs, saying in one line (password hidden) why a server can not be reached', () => {
    assert.throws(
      () => openEpisodeStore(`postgres://praetor:secret@localhost/praetor?host=${join(dir, 'no-server')}`),
      (err) => configError(/cannot open episode store postgres:\/\/praetor:\*\*\*@localhost/)(err) && !String((err as Error).message).includes('secret'),
    );
    assert.throws(() => openEpisodeStore('postgres://praetor@localhost/praetor?host=relative'), configError(/socket directory/));
  });

  it('refuses unknown schemes and a sqlite URL without a file', () => {
    assert.throws(() => openEpisodeStore('/tmp/episodes.db'), configError(/unknown episode store URL/));
    assert.throws(() => openEpisodeStore('sqlite:'), configError(/names no file/));
  });
});

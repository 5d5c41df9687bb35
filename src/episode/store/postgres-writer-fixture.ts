// Child process of the PostgreSQL store's many-writers test: writes `count` episodes named
// `<prefix>-<n>`, all at once, each with `steps` steps appended one after another (awaited, as a
// runner does), then finishes them and prints "done".
import { makeEpisode, toolStep } from '../episode-fixtures.js';
import { openEpisodeStore } from './open-store.js';

const [url, prefix, countText, stepsText] = process.argv.slice(2);
if (url === undefined || prefix === undefined) {
  process.stderr.write('usage: postgres-writer-fixture.js URL PREFIX COUNT STEPS\n');
  process.exit(2);
}
const count = Number(countText ?? '50');
const steps = Number(stepsText ?? '5');
const store = openEpisodeStore(url, { owner: prefix });
await Promise.all(
  Array.from({ length: count }, async (_, n) => {
    const id = `${prefix}-${n}`;
    store.createEpisode(makeEpisode({ id, sandboxId: `sb-${id}` }));
    for (let i = 1; i <= steps; i++) await store.appendStep(toolStep(id, i, { observation: { content: `${id} step ${i}`, isError: false, denied: false } }));
    store.finishEpisode(id, 'completed', null);
  }),
);
store.close();
process.stdout.write('done\n');

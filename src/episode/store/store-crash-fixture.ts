// Child process of the store conformance suite's crash test: records an episode with five steps in
// the store at argv[2], says "ready", then waits to be killed with SIGKILL, never closing the store.
import { makeEpisode, toolStep } from '../episode-fixtures.js';
import { openEpisodeStore } from './open-store.js';

const [url, episodeId] = process.argv.slice(2);
if (url === undefined || episodeId === undefined) {
  process.stderr.write('usage: store-crash-fixture.js STORE_URL EPISODE_ID\n');
  process.exit(2);
}
const store = openEpisodeStore(url);
store.createEpisode(makeEpisode({ id: episodeId }));
for (let i = 1; i <= 5; i++) await store.appendStep(toolStep(episodeId, i));
process.stdout.write('ready\n');
// Keeps the process alive, as an agent mid-step would be, until the test kills it.
setInterval(() => undefined, 60_000);

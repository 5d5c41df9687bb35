// Test fixture: creates one sandbox with a daemon in it, prints where it lives, then waits to be
// killed. The dead-guard invariant kills it with SIGKILL, as a crash would.
import { LocalBackend } from '../local/local-backend.js';

const backend = new LocalBackend();
const sandbox = await backend.create();
await sandbox.exec(['sh', '-c', '(setsid sleep 1000 &)']);
process.stdout.write(`${JSON.stringify({ id: sandbox.id, ...sandbox.hostInfo() })}\n`);
setInterval(() => undefined, 1 << 30);

// Test fixture: creates one sandbox with a daemon in it, prints where it lives, then waits to be
// killed. The dead-guard invariants kill it with SIGKILL, as a crash would. With --frozen it starts
// seven daemons and freezes the sandbox first (a frozen cgroup v1 task holds SIGKILL off).
import { LocalBackend } from '../local/local-backend.js';

const frozen = process.argv.includes('--frozen');
const backend = new LocalBackend();
const sandbox = await backend.create();
await sandbox.exec(['sh', '-c', frozen ? 'for i in 1 2 3 4 5 6 7; do (setsid sleep 1000 &); done' : '(setsid sleep 1000 &)']);
if (frozen) await sandbox.setFrozen(true);
process.stdout.write(`${JSON.stringify({ id: sandbox.id, ...sandbox.hostInfo() })}\n`);
setInterval(() => undefined, 1 << 30);

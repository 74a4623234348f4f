import { startLocalPostgres } from '../devtools/postgres.js';
import { exitOnLocalStackProblem } from '../devtools/preflight.js';
import { onShutdown } from '../lib/shutdown.js';

// Embedded PostgreSQL in a process of its own, for `npm start`: started in its own process group,
// so a Ctrl-C at the terminal reaches only `npm start`, which then stops the stack in order and
// this server last (otherwise the server would shut down first, under the worker's feet).
// Argument: the data directory. Tells its parent the connection string over IPC.
const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: scripts/postgres.ts <data directory>');
const postgres = await startLocalPostgres({ dataDir }).catch(exitOnLocalStackProblem);
onShutdown(() => postgres.stop());
// Never outlive the parent that started it.
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
process.send?.({ type: 'ready', url: postgres.url });

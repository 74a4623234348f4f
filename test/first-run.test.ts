import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPortsFree, assertPostgresCanRun, assertWritable, LocalStackProblem } from '../devtools/preflight.js';
import { startWorkerProcess } from '../devtools/processes.js';
import { databaseUrl } from './support/stack.js';

// A first run that cannot fail obscurely: what keeps the local stack from starting is said in one
// line, with what to do, before anything starts.

let scratch: string;
let held: net.Server;
let heldPort: number;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'fireflow-first-run-'));
  // mkdtemp makes a folder only its owner may enter; the root-only case below makes its own.
  await chmod(scratch, 0o755);
  held = net.createServer();
  await new Promise<void>((resolve) => held.listen(0, resolve));
  heldPort = (held.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => held.close(resolve));
  await rm(scratch, { recursive: true, force: true });
});

const problemOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe('the local stack says in one line what keeps it from starting', () => {
  it('a port in use', async () => {
    const problem = await problemOf(assertPortsFree([{ port: heldPort, setting: 'HTTP_PORT' }]));
    expect(problem).toBeInstanceOf(LocalStackProblem);
    expect((problem as Error).message).toBe(`port ${heldPort} (HTTP_PORT) is in use, by another npm start or another program: stop it, or choose another port, e.g. HTTP_PORT=${heldPort + 100}`);
  });

  it('a project folder it cannot write', async () => {
    const file = path.join(scratch, 'a-file');
    await writeFile(file, '');
    const problem = await problemOf(assertWritable(path.join(file, '.fireflow'), 'npm start keeps the data of its PostgreSQL'));
    expect((problem as Error).message).toMatch(/^cannot write .*a-file\/\.fireflow \(ENOTDIR\), where npm start keeps the data of its PostgreSQL: run from a copy of the project you can write to, or set DATABASE_URL/);
  });

  it('as root, a project under a folder only root may enter (embedded PostgreSQL runs as "postgres")', async () => {
    const closed = path.join(scratch, 'root-only');
    await mkdir(path.join(closed, 'project', '.fireflow'), { recursive: true });
    await chmod(closed, 0o700);
    const problem = await problemOf(assertPostgresCanRun(path.join(closed, 'project', '.fireflow', 'postgres'), true));
    expect((problem as Error).message).toBe(
      `embedded PostgreSQL runs as the unprivileged user "postgres" (never as root), which cannot enter ${closed} (mode 700) to reach its data directory in ${path.join(closed, 'project', '.fireflow', 'postgres')}: move the project under a folder others may enter (e.g. /srv or /home), run as a user other than root, or set DATABASE_URL to a PostgreSQL of your own`,
    );
  });

  it('data kept by another version of PostgreSQL in .fireflow/', async () => {
    const dataDir = path.join(scratch, 'old', '.fireflow', 'postgres');
    await mkdir(dataDir, { recursive: true });
    await writeFile(path.join(dataDir, 'PG_VERSION'), '16\n');
    const problem = await problemOf(assertPostgresCanRun(dataDir, false));
    expect((problem as Error).message).toMatch(new RegExp(`^${dataDir} holds data of PostgreSQL 16, from another version of FireFlow; this one runs PostgreSQL \\d+: move it away to start afresh \\(mv \\S+\\.fireflow \\S+\\.fireflow\\.old\\), or set DATABASE_URL$`));
  });

  it('npm start with a port in use stops before it starts anything', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: { ...process.env, HTTP_PORT: String(heldPort), DATABASE_URL: databaseUrl() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(code).toBe(1);
    expect(output).toBe(`port ${heldPort} (HTTP_PORT) is in use, by another npm start or another program: stop it, or choose another port, e.g. HTTP_PORT=${heldPort + 100}\n`);
  });

  it('a second worker on the host whose health port is taken says so in one line and takes no work', async () => {
    const worker = startWorkerProcess({ databaseUrl: databaseUrl(), stdio: 'pipe', env: { WORKER_HEALTH_PORT: String(heldPort), WORKER_ID: 'second-on-host', LOG_LEVEL: 'info' } });
    let output = '';
    worker.process.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.process.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => worker.process.once('close', resolve));
    expect(code).toBe(1);
    const lines = output.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toEqual([
      expect.objectContaining({ level: 'ERROR', message: `the worker's health port ${heldPort} is not available (EADDRINUSE): give each worker on this host its own WORKER_HEALTH_PORT, or 0 for none` }),
    ]);
  });
});

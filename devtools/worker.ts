import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface WorkerProcess {
  process: ChildProcess;
  /** Resolves once the worker says it is ready (a message on the IPC channel). */
  ready: Promise<void>;
  /** SIGTERM (graceful, SIGKILL after `graceMs`) or SIGKILL (a crash); resolves when the process is gone. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const projectRoot = path.resolve(import.meta.dirname, '..');
// tsx as a loader in this very process (not the tsx CLI, which runs the script in a child
// process that a SIGKILL of the parent would leave running).
const tsxLoader = createRequire(import.meta.url).resolve('tsx');

export interface WorkerProcessOptions {
  databaseUrl: string;
  env?: Record<string, string>;
  stdio?: 'inherit' | 'pipe';
  /** The entry point, relative to the project; default `scripts/worker.ts` (what `npm run worker` runs). */
  script?: string;
}

/** Runs a worker as its own process. */
export function startWorkerProcess(options: WorkerProcessOptions): WorkerProcess {
  const child = spawn(process.execPath, ['--import', tsxLoader, options.script ?? 'scripts/worker.ts'], {
    cwd: projectRoot,
    // Its own process group: a Ctrl-C at the terminal reaches only the parent, which stops it.
    detached: true,
    stdio: ['ignore', options.stdio === 'inherit' ? 'inherit' : 'pipe', options.stdio === 'inherit' ? 'inherit' : 'pipe', 'ipc'],
    env: { ...process.env, ...options.env, DATABASE_URL: options.databaseUrl },
  });
  // Piped output is drained so a chatty worker never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message: { type?: string }) => {
      if (message?.type === 'ready') resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited with code ${code} before it was ready`)));
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

import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { waitForPort } from './ports.js';

export interface OfflineOptions {
  databaseUrl: string;
  httpPort: number;
  lambdaPort: number;
  /** Extra environment for the handlers (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
  /** Where the child's output goes; default: inherited. */
  stdio?: 'inherit' | 'ignore';
  startTimeoutMs?: number;
  /**
   * The HTTP API's authorizer as deployed: `jwt` checks tokens' issuer, audience, expiry and
   * scopes (serverless-offline does not verify signatures). Default: none (`--noAuth`), as on the
   * local stack.
   */
  authorizer?: { jwt: { issuer: string; audience: string } };
}

export interface RunningOffline {
  httpUrl: string;
  lambdaEndpoint: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const projectRoot = path.resolve(import.meta.dirname, '..');
const serverlessBin = createRequire(import.meta.url).resolve('serverless/bin/serverless.js');

/**
 * Runs `serverless offline start` (the HTTP API and the Lambda invoke endpoint) as a child
 * process group, and resolves once both ports answer.
 */
export async function startOffline(options: OfflineOptions): Promise<RunningOffline> {
  // --noAuth: the local stack is open; deployed, the HTTP API sits behind its authorizer.
  const jwt = options.authorizer?.jwt;
  const child = spawn(process.execPath, [serverlessBin, 'offline', 'start', '--stage', 'dev', ...(jwt ? ['--ignoreJWTSignature'] : ['--noAuth'])], {
    cwd: projectRoot,
    detached: true,
    stdio: options.stdio ?? 'inherit',
    env: {
      ...process.env,
      ...options.env,
      ...(jwt ? { HTTP_AUTHORIZER: 'jwt', HTTP_JWT_ISSUER: jwt.issuer, HTTP_JWT_AUDIENCE: jwt.audience } : {}),
      DATABASE_URL: options.databaseUrl,
      HTTP_PORT: String(options.httpPort),
      LAMBDA_PORT: String(options.lambdaPort),
      // Schedules are emulated on the local clock; EventBridge runs on UTC.
      TZ: 'UTC',
      SLS_TELEMETRY_DISABLED: '1',
    },
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`serverless offline exited early with code ${code}`))),
  );
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGTERM');
    const forced = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 5_000);
    await gone;
    clearTimeout(forced);
  };
  try {
    const timeoutMs = options.startTimeoutMs ?? 60_000;
    await Promise.race([
      Promise.all([waitForPort(options.httpPort, timeoutMs), waitForPort(options.lambdaPort, timeoutMs)]),
      exited,
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  exited.catch(() => undefined);
  return {
    httpUrl: `http://127.0.0.1:${options.httpPort}`,
    lambdaEndpoint: `http://127.0.0.1:${options.lambdaPort}`,
    process: child,
    stop,
  };
}

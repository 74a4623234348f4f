import { spawn } from 'node:child_process';
import path from 'node:path';
import { inject } from 'vitest';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout's lines, without the empty last one. */
  lines: string[];
}

const root = path.resolve(import.meta.dirname, '..', '..');
const bin = path.join(root, 'bin', 'fireflow.js');

/**
 * Runs the real `fireflow` command (bin/fireflow.js, as `npx fireflow` does) as a child process,
 * pointed at the suite's stack: FIREFLOW_API_URL for the HTTP API, LAMBDA_ENDPOINT for --lambda.
 */
export function fireflow(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, FIREFLOW_API_URL: inject('httpUrl'), LAMBDA_ENDPOINT: inject('lambdaEndpoint'), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, lines: stdout.split('\n').filter((line) => line !== '') }));
  });
}

/** Runs the command once per argument list, one process after the other: each takes a core for a moment, and the stack under test needs them too. */
export async function fireflowInTurn<const Runs extends ReadonlyArray<readonly string[]>>(runs: Runs): Promise<{ [Index in keyof Runs]: CliRun }> {
  const results: CliRun[] = [];
  for (const args of runs) results.push(await fireflow([...args]));
  return results as { [Index in keyof Runs]: CliRun };
}

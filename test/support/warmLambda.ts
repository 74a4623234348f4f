import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const tsxLoader = createRequire(import.meta.url).resolve('tsx');

/**
 * Runs `script` (an ES module body that imports handlers by their paths from the project root,
 * e.g. `await import('./handlers/locks-invoke.ts')`, and calls them) in a process of its own, as
 * one warm Lambda would, with `env` on top of this process's environment. Answers the JSON the
 * script passes to `answer(...)`, and the JSON log lines it wrote to stderr (warnings and errors).
 */
export async function runWarmLambda(script: string, env: Record<string, string>): Promise<{ answer: any; logs: any[] }> {
  const body = `const answer = (value) => { process.stdout.write(JSON.stringify(value)); process.exit(0); };\n${script}`;
  const { stdout, stderr } = await run(process.execPath, ['--import', tsxLoader, '--input-type=module', '-e', body], {
    cwd: root,
    env: { ...process.env, AWS_LAMBDA_FUNCTION_NAME: 'warm-lambda-test', LOG_LEVEL: 'error', ...env },
  });
  const logs = stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
  return { answer: JSON.parse(stdout), logs };
}

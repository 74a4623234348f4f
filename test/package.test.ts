import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const serverlessBin = createRequire(import.meta.url).resolve('serverless/bin/serverless.js');

let outDir: string;
let template: { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

beforeAll(async () => {
  outDir = await mkdtemp(path.join(tmpdir(), 'fireflow-package-'));
  // No AWS account and no network: `serverless package` must work offline.
  await run(process.execPath, [serverlessBin, 'package', '--stage', 'dev', '--package', outDir], {
    cwd: root,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
  });
  template = JSON.parse(await readFile(path.join(outDir, 'cloudformation-template-update-stack.json'), 'utf8'));
}, 120_000);

afterAll(() => rm(outDir, { recursive: true, force: true }));

const resourcesOfType = (type: string) => Object.values(template.Resources).filter((resource) => resource.Type === type);

it('packages every lock function on nodejs22.x with its own bundle', async () => {
  const functions = resourcesOfType('AWS::Lambda::Function');
  const names = functions.map((fn) => fn.Properties.FunctionName);
  for (const key of ['acquireLock', 'releaseLock', 'extendLock', 'lockJanitor', 'httpAcquireLock', 'httpReleaseLock', 'httpExtendLock', 'httpInspectLock', 'health']) {
    expect(names).toContain(`fireflow-dev-${key}`);
  }
  for (const fn of functions) expect(fn.Properties.Runtime).toBe('nodejs22.x');
  const zips = (await readdir(outDir)).filter((file) => file.endsWith('.zip'));
  expect(zips).toHaveLength(functions.length);
});

it('declares the lock routes on the HTTP API and the janitor schedule', () => {
  const routes = resourcesOfType('AWS::ApiGatewayV2::Route').map((route) => route.Properties.RouteKey);
  expect(routes).toEqual(
    expect.arrayContaining([
      'POST /locks/{lockKey}/acquire',
      'POST /locks/{lockKey}/release',
      'POST /locks/{lockKey}/extend',
      'GET /locks/{lockKey}',
      'GET /health',
    ]),
  );
  const schedules = resourcesOfType('AWS::Events::Rule').map((rule) => rule.Properties.ScheduleExpression);
  expect(schedules).toContain('rate(5 minutes)');
});

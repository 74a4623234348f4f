import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import JSZip from 'jszip';
import { beforeAll, expect, inject, it } from 'vitest';

// The suite's global setup ran `serverless package` (offline, no AWS account) into packageDir.
let outDir: string;
let template: { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

beforeAll(async () => {
  outDir = inject('packageDir');
  template = JSON.parse(await readFile(path.join(outDir, 'cloudformation-template-update-stack.json'), 'utf8'));
});

const resourcesOfType = (type: string) => Object.values(template.Resources).filter((resource) => resource.Type === type);

it('packages every function on nodejs22.x with its own bundle, in the database VPC', async () => {
  const functions = resourcesOfType('AWS::Lambda::Function');
  for (const fn of functions) expect(fn.Properties.VpcConfig).toEqual({ SecurityGroupIds: expect.anything(), SubnetIds: expect.anything() });
  const names = functions.map((fn) => fn.Properties.FunctionName);
  for (const key of ['acquireLock', 'releaseLock', 'extendLock', 'lockJanitor', 'startExecution', 'getExecution', 'cancelExecution', 'redriveExecution', 'sendSignal', 'getExecutionEvents', 'saveFlow', 'getFlow', 'executionJanitor', 'scheduledTrigger', 'httpAcquireLock', 'httpReleaseLock', 'httpExtendLock', 'httpInspectLock', 'httpSaveFlow', 'httpGetFlow', 'httpListFlows', 'httpStartExecution', 'httpListExecutions', 'httpGetExecution', 'httpListEvents', 'httpCancelExecution', 'httpRedriveExecution', 'httpSendSignal', 'httpListChildren', 'health', 'console']) {
    expect(names).toContain(`fireflow-dev-${key}`);
  }
  for (const fn of functions) expect(fn.Properties.Runtime).toBe('nodejs22.x');
  const zips = (await readdir(outDir)).filter((file) => file.endsWith('.zip'));
  expect(zips).toHaveLength(functions.length);
});

it("lets the functions read the database secret, and nothing else but their logs", () => {
  const statements = template.Resources.IamRoleLambdaExecution?.Properties.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement);
  const actions = statements.flatMap((statement: any) => statement.Action);
  expect(actions.filter((action: string) => !action.startsWith('logs:'))).toEqual(['secretsmanager:GetSecretValue']);
  const secretArn = statements.find((statement: any) => statement.Action.includes('secretsmanager:GetSecretValue')).Resource;
  for (const fn of resourcesOfType('AWS::Lambda::Function')) expect(fn.Properties.Environment.Variables.DATABASE_SECRET_ARN).toBe(secretArn);
});

it("puts into each function's zip its bundle and the chunks it imports, nothing else", async () => {
  for (const fn of resourcesOfType('AWS::Lambda::Function')) {
    const zipName = `${String(fn.Properties.FunctionName).replace('fireflow-dev-', '')}.zip`;
    const zip = await JSZip.loadAsync(await readFile(path.join(outDir, zipName)));
    const files = Object.keys(zip.files);
    const handlerModule = `${String(fn.Properties.Handler).replace(/\.[^.]+$/, '')}.mjs`;
    const reached = new Set<string>();
    const pending = [handlerModule];
    for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
      if (reached.has(name)) continue;
      expect(files, `${zipName} lacks ${name}`).toContain(name);
      reached.add(name);
      const code = await zip.file(name)!.async('string');
      // Relative specifiers of static (`from"./x.mjs"`) and dynamic (`import("./x.mjs")`) imports.
      for (const [, specifier] of code.matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)) {
        pending.push(path.posix.join(path.posix.dirname(name), specifier!));
      }
    }
    expect(files.filter((file) => file.endsWith('.mjs')).sort(), zipName).toEqual([...reached].sort());
  }
});

it('declares every route of the HTTP API and the janitor schedule', () => {
  const routes = resourcesOfType('AWS::ApiGatewayV2::Route').map((route) => route.Properties.RouteKey);
  expect(routes).toEqual(
    expect.arrayContaining([
      'POST /locks/{lockKey}/acquire',
      'POST /locks/{lockKey}/release',
      'POST /locks/{lockKey}/extend',
      'GET /locks/{lockKey}',
      'PUT /flows/{flowId}',
      'GET /flows/{flowId}',
      'GET /flows',
      'POST /flows/{flowId}/executions',
      'GET /flows/{flowId}/executions',
      'GET /executions/{executionId}',
      'GET /executions/{executionId}/events',
      'POST /executions/{executionId}/cancel',
      'POST /executions/{executionId}/redrive',
      'POST /executions/{executionId}/signals/{signal}',
      'GET /executions/{executionId}/children',
      'GET /health',
      'GET /console',
      'GET /console/{path+}',
    ]),
  );
  const open = ['GET /health', 'GET /console', 'GET /console/{path+}'];
  for (const route of resourcesOfType('AWS::ApiGatewayV2::Route')) {
    expect(route.Properties.AuthorizationType, route.Properties.RouteKey).toBe(open.includes(route.Properties.RouteKey) ? undefined : 'AWS_IAM');
  }
  const schedules = resourcesOfType('AWS::Events::Rule').map((rule) => rule.Properties.ScheduleExpression);
  expect(schedules).toEqual(expect.arrayContaining(['rate(5 minutes)', 'rate(1 hour)']));
});

it("declares the worker's ECS resources: a Fargate task that gets 120 s to stop, its service, roles and logs", () => {
  const [taskDefinition] = resourcesOfType('AWS::ECS::TaskDefinition');
  expect(taskDefinition?.Properties.RequiresCompatibilities).toEqual(['FARGATE']);
  const container = taskDefinition?.Properties.ContainerDefinitions[0];
  expect(container.StopTimeout).toBe(120);
  expect(container.Environment).toContainEqual({ Name: 'DATABASE_URL', Value: expect.stringMatching(/^postgres:\/\/[^:@]+@/) });
  expect(container.Secrets).toEqual([{ Name: 'PGPASSWORD', ValueFrom: expect.stringMatching(/^arn:aws:secretsmanager:.+:password::$/) }]);
  expect(container.LogConfiguration.LogDriver).toBe('awslogs');
  expect(resourcesOfType('AWS::ECS::Cluster')).toHaveLength(1);
  expect(resourcesOfType('AWS::ECS::Service')[0]?.Properties.LaunchType).toBe('FARGATE');
  expect(resourcesOfType('AWS::Logs::LogGroup').map((group) => group.Properties.LogGroupName)).toContain('/fireflow/dev/worker');
  const taskRole = template.Resources.WorkerTaskRole;
  const statements = taskRole?.Properties.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement);
  // By default the worker may invoke nothing, and never a FireFlow function; it reads this stage's flow secrets.
  expect(statements).toEqual([
    { Effect: 'Deny', Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:*:*:function:fireflow-*' },
    { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { 'Fn::Sub': 'arn:aws:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:fireflow/dev/*' } },
  ]);
});

it("puts the built web console into the console function's zip, and the function serves it from there", async () => {
  const zip = await JSZip.loadAsync(await readFile(path.join(outDir, 'console.zip')));
  const dir = await mkdtemp(path.join(tmpdir(), 'fireflow-console-zip-'));
  try {
    const bundle = path.join(dir, 'console.mjs');
    await writeFile(bundle, await zip.file('handlers/console.mjs')!.async('nodebuffer'));
    const { serveConsole } = await import(pathToFileURL(bundle).href);
    const get = async (rawPath: string) => {
      const answer = await serveConsole({ rawPath, headers: { 'accept-encoding': 'gzip, br' } });
      return { ...answer, text: answer.statusCode === 200 ? gunzipSync(Buffer.from(answer.body, 'base64')).toString('utf8') : answer.body };
    };
    const index = await get('/console/flows/orders');
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.text).toContain('<div id="app">');
    const script = index.text.match(/src="(\/console\/assets\/main-[^"]+\.js)"/)![1]!;
    const app = await get(script);
    expect(app.headers['cache-control']).toContain('immutable');
    expect(app.text).toContain('Start execution');
    expect((await get('/console/assets/main-NOSUCHFILE.js')).statusCode).toBe(404);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** The service as `serverless print` resolves it under `env` (no build, no AWS account). */
async function resolvedService(env: Record<string, string>): Promise<any> {
  const serverlessBin = createRequire(import.meta.url).resolve('serverless/bin/serverless.js');
  const { stdout } = await promisify(execFile)(process.execPath, [serverlessBin, 'print', '--format', 'json', '--stage', 'dev'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', ...env },
  });
  return JSON.parse(stdout);
}

it('under the JWT authorizer, gives each route the scope of its role, and lets the worker invoke only the listed functions', async () => {
  const service = await resolvedService({ HTTP_AUTHORIZER: 'jwt', WORKER_INVOKABLE_FUNCTIONS: 'billing-*, arn:aws:lambda:eu-west-1:111111111111:function:audit' });
  const scopes: Record<string, string[]> = {};
  for (const fn of Object.values(service.functions) as any[]) {
    for (const event of fn.events ?? []) if (event.httpApi) scopes[`${event.httpApi.method} ${event.httpApi.path}`] = event.httpApi.authorizer?.scopes ?? [];
  }
  expect(scopes).toMatchObject({
    'GET /flows': ['fireflow/read'],
    'GET /executions/{executionId}/events': ['fireflow/read'],
    'POST /flows/{flowId}/executions': ['fireflow/run'],
    'POST /executions/{executionId}/cancel': ['fireflow/run'],
    'POST /executions/{executionId}/redrive': ['fireflow/run'],
    'POST /executions/{executionId}/signals/{signal}': ['fireflow/run'],
    'PUT /flows/{flowId}': ['fireflow/author'],
    'POST /locks/{lockKey}/acquire': ['fireflow/locks'],
    'GET /locks/{lockKey}': ['fireflow/locks'],
    'GET /health': [],
    'GET /console': [],
    'GET /console/{path+}': [],
  });
  const statements = service.resources.Resources.WorkerTaskRole.Properties.Policies[0].PolicyDocument.Statement;
  expect(statements).toEqual([
    {
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: [{ 'Fn::Sub': 'arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:billing-*' }, 'arn:aws:lambda:eu-west-1:111111111111:function:audit'],
    },
    { Effect: 'Deny', Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:*:*:function:fireflow-*' },
  ]);
});

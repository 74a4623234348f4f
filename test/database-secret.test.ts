import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordFromSecret } from '../lib/databaseSecret.js';
import { PostgresFlowLockService } from '../lib/locks/PostgresFlowLockService.js';
import { doublingFlow } from './support/fixtures.js';
import { flowKit, uniqueFlowId } from './support/flows.js';
import { databaseUrl, testPool, uniqueKey } from './support/stack.js';
import { runWarmLambda } from './support/warmLambda.js';

// Secrets Manager cannot run on this machine, so a stand-in answers its GetSecretValue call on
// a local port (the real @aws-sdk/client-secrets-manager is pointed at it through
// AWS_ENDPOINT_URL_SECRETS_MANAGER). Everything else is real: the handlers, pg, DBOS, PostgreSQL
// with password authentication.

interface SecretsStandIn {
  url: string;
  secrets: Map<string, string>;
  /** SecretIds asked for, in order. */
  reads: string[];
  server: Server;
}

async function startSecretsStandIn(): Promise<SecretsStandIn> {
  const standIn: Omit<SecretsStandIn, 'url'> = { secrets: new Map(), reads: [], server: createServer() };
  standIn.server.on('request', (request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      const reply = (status: number, json: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(json));
      };
      if (request.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') return reply(400, { __type: 'InvalidRequestException', message: 'unexpected call' });
      standIn.reads.push(SecretId);
      const secretString = standIn.secrets.get(SecretId);
      if (secretString === undefined) return reply(400, { __type: 'ResourceNotFoundException', message: `no secret ${SecretId}` });
      return reply(200, { ARN: SecretId, Name: SecretId, SecretString: secretString, VersionId: 'v1' });
    });
  });
  await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
  return { ...standIn, url: `http://127.0.0.1:${(standIn.server.address() as AddressInfo).port}` };
}

const withoutPassword = (url: string) => {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
};

let standIn: SecretsStandIn;
beforeAll(async () => {
  standIn = await startSecretsStandIn();
});
afterAll(() => new Promise<void>((resolve) => standIn.server.close(() => resolve())));

const lambdaEnv = (secretId: string) => ({
  DATABASE_URL: withoutPassword(databaseUrl()),
  LOCK_LISTEN_URL: withoutPassword(databaseUrl()),
  DATABASE_SECRET_ARN: secretId,
  AWS_ENDPOINT_URL_SECRETS_MANAGER: standIn.url,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
});

describe('the database password from Secrets Manager', () => {
  it('completes the Lambdas’ connection strings, read once for all their connections', async () => {
    const secretId = `arn:aws:secretsmanager:us-east-1:000000000000:secret:fireflow-${uniqueKey('good')}`;
    standIn.secrets.set(secretId, JSON.stringify({ engine: 'postgres', username: new URL(databaseUrl()).username, password: new URL(databaseUrl()).password }));
    const kit = flowKit();
    const flowId = uniqueFlowId('secret');
    const lockKey = uniqueKey('secret');
    const pool = testPool(1);
    const holder = new PostgresFlowLockService({ pool, listenConnectionString: databaseUrl() });
    try {
      await kit.flows.save(flowId, doublingFlow());
      const held = await holder.acquire(lockKey, 10_000, 0);
      const script = `
        const locks = await import('./handlers/locks-invoke.ts');
        const executions = await import('./handlers/executions-invoke.ts');
        const grant = await locks.acquireLock({ lockKey: ${JSON.stringify(lockKey)}, lockTtlMs: 5000, waitTimeoutMs: 10000 }, {});
        const started = await executions.startExecution({ flowId: ${JSON.stringify(flowId)}, input: 21, waitMs: 20000 }, {});
        answer({ grant, started });`;
      const lambda = runWarmLambda(script, lambdaEnv(secretId));
      // Held for a moment, so the acquire waits and opens its listener connection too.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await holder.release(lockKey, held.lockId);
      const { grant, started } = (await lambda).answer;
      expect(grant.acquired).toBe(true);
      expect(started).toMatchObject({ status: 'completed', output: 42 });
      expect(standIn.reads.filter((read) => read === secretId)).toHaveLength(1);
    } finally {
      await holder.close();
      await pool.end();
      await kit.close();
    }
  });

  it('fails the call with the database’s own refusal when the secret holds a wrong password, logged with the request id', async () => {
    const secretId = `arn:aws:secretsmanager:us-east-1:000000000000:secret:fireflow-${uniqueKey('wrong')}`;
    standIn.secrets.set(secretId, JSON.stringify({ username: 'fireflow', password: 'not-the-password' }));
    const script = `
      const locks = await import('./handlers/locks-invoke.ts');
      const failure = await locks.acquireLock({ lockKey: 'secret:wrong', lockTtlMs: 5000, waitTimeoutMs: 0 }, { awsRequestId: 'request-1' }).then(() => null, (error) => ({ name: error.name, cause: String(error.cause?.message) }));
      answer({ failure });`;
    const { answer, logs } = await runWarmLambda(script, lambdaEnv(secretId));
    expect(answer.failure).toEqual({ name: 'InternalError', cause: expect.stringMatching(/password authentication failed/) });
    expect(logs).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'unexpected error', requestId: 'request-1' }));
  });
});

describe('passwordFromSecret', () => {
  it("takes the password of RDS's JSON format and names the secret when it cannot", () => {
    expect(passwordFromSecret('{"username":"app","password":"s3cret","host":"db"}', 'my-secret')).toBe('s3cret');
    expect(() => passwordFromSecret('postgres://app:s3cret@db/app', 'my-secret')).toThrow(/secret my-secret is not JSON/);
    expect(() => passwordFromSecret('{"username":"app"}', 'my-secret')).toThrow(/secret my-secret has no "password" string/);
    expect(() => passwordFromSecret('null', 'my-secret')).toThrow(/has no "password"/);
  });
});

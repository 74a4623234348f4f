import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FireflowClient } from '../lib/client/FireflowClient.js';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors.js';
import { doublingFlow } from './support/fixtures.js';
import { flowKit, uniqueFlowId, type FlowKit } from './support/flows.js';
import { lambdaClient, rejectionOf } from './support/stack.js';

// Executions as other Lambdas start them: FireflowClient → serverless-offline's invoke endpoint →
// the execution functions → DBOS queue → the suite's worker process.
let kit: FlowKit;
let client: FireflowClient;
let doubling: string;

beforeAll(async () => {
  kit = flowKit();
  client = new FireflowClient({ lambdaClient: lambdaClient(), functionPrefix: 'fireflow-dev-' });
  doubling = uniqueFlowId('doubling');
  await kit.flows.save(doubling, doublingFlow(10));
});
afterAll(() => kit.close());


describe('FireflowClient', () => {
  it('starts an execution and waits for its output, like a synchronous Step Functions call', async () => {
    const answer = await client.startExecutionAndWait(doubling, { input: 21, waitMs: 20_000 });
    expect(answer).toEqual({ executionId: expect.any(String), status: 'completed', output: 42, error: null });
    expect(await client.getExecution(answer.executionId)).toMatchObject({ flowId: doubling, status: 'completed', output: 42, depth: 0 });
  });

  it('starts an execution without waiting; the worker completes it', async () => {
    const answer = await client.startExecution(doubling, { input: 5 });
    expect(answer).toEqual({ executionId: expect.any(String), status: 'created' });
    let record = await client.getExecution(answer.executionId);
    while (record.status !== 'completed') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      record = await client.getExecution(answer.executionId);
    }
    expect(record.output).toBe(10);
  });

  it('answers the same execution for the same idempotency key, and a ConflictError for other input', async () => {
    const first = await client.startExecutionAndWait(doubling, { input: 1, idempotencyKey: 'same-key', waitMs: 20_000 });
    const again = await client.startExecution(doubling, { input: 1, idempotencyKey: 'same-key' });
    expect(again.executionId).toBe(first.executionId);
    expect(await rejectionOf(client.startExecution(doubling, { input: 2, idempotencyKey: 'same-key' }))).toBeInstanceOf(ConflictError);
  });

  it('cancels a running execution', async () => {
    const sleeper = uniqueFlowId('sleeper');
    await kit.flows.save(sleeper, { nodes: [{ id: 'nap', type: 'SleepNode', inputs: { ms: 600_000 } }] });
    const { executionId } = await client.startExecution(sleeper);
    while ((await client.getExecution(executionId)).status !== 'running') await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await client.cancelExecution(executionId, 'no longer needed')).toMatchObject({ status: 'stopped' });
    expect(await client.cancelExecution(executionId)).toMatchObject({ status: 'stopped' });
  });

  it('ends every execution cancelled right after its start `stopped`, whatever its worker was doing then', async () => {
    const sleeper = uniqueFlowId('cancel-race');
    await kit.flows.save(sleeper, { nodes: [{ id: 'nap', type: 'SleepNode', inputs: { ms: 600_000 } }] });
    const ids: string[] = [];
    // Cancels land at every stage: still queued, being dequeued, starting its node, sleeping.
    for (let i = 0; i < 30; i += 1) {
      const { executionId } = await client.startExecution(sleeper);
      await new Promise((resolve) => setTimeout(resolve, (i % 4) * 15));
      expect(await client.cancelExecution(executionId, 'changed course')).toMatchObject({ status: 'stopped', error: { message: 'changed course' } });
      ids.push(executionId);
    }
    // Long enough for every worker run to notice and wind down: none writes over the end.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (const executionId of ids) expect((await client.getExecution(executionId)).status).toBe('stopped');
  });

  it('reports unknown flows and executions as NotFoundError', async () => {
    expect(await rejectionOf(client.startExecution(uniqueFlowId('missing')))).toBeInstanceOf(NotFoundError);
    expect(await rejectionOf(client.getExecution('no-such-execution'))).toBeInstanceOf(NotFoundError);
    expect(await rejectionOf(client.cancelExecution('no-such-execution'))).toBeInstanceOf(NotFoundError);
  });

  it('rejects bad input with a typed ValidationError naming the field, starting nothing', async () => {
    const flowId = uniqueFlowId('never-started');
    await kit.flows.save(flowId, doublingFlow());
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => client.startExecution('bad flow id'), 'flowId'],
      [() => client.startExecutionAndWait(flowId, { waitMs: 900_001 }), 'waitMs'],
      [() => client.startExecutionAndWait(flowId, { waitMs: -1 }), 'waitMs'],
      [() => client.startExecution(flowId, { idempotencyKey: '' }), 'idempotencyKey'],
      [() => client.getExecution(''), 'executionId'],
      [() => client.getExecution('a\u0000b'), 'executionId'],
      [() => client.cancelExecution('x', 'r'.repeat(1_001)), 'reason'],
    ];
    for (const [call, field] of cases) {
      const error = await rejectionOf(call());
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details?.map((problem) => problem.field)).toContain(field);
    }
    expect((await kit.store.listByFlow(flowId, { limit: 10 })).items).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FireflowClient } from '../lib/client/FireflowClient.js';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors.js';
import { flowKit, uniqueFlowId, type FlowKit } from './support/flows.js';
import { http as api, lambdaClient, rejectionOf } from './support/stack.js';

// Signals on the real stack: HTTP and invoke through serverless-offline, the suite's worker.
let kit: FlowKit;
let client: FireflowClient;
beforeAll(() => {
  kit = flowKit();
  client = new FireflowClient({ lambdaClient: lambdaClient(), functionPrefix: 'fireflow-dev-' });
});
afterAll(() => kit.close());

/** Waits for `approval` (and, when `twice`, for a second one) and outputs the payload it got last. */
async function approvalFlow(options: { twice?: boolean } = {}): Promise<string> {
  const flowId = uniqueFlowId('approval');
  const wait = (id: string) => ({ id, type: 'WaitForSignalNode', inputs: { signal: 'approval' } });
  const last = options.twice ? 'second' : 'first';
  await kit.flows.save(flowId, {
    nodes: [wait('first'), ...(options.twice ? [wait('second')] : []), { id: 'out', type: 'FlowOutputNode' }],
    edges: [...(options.twice ? [{ from: 'first.__success', to: 'second.__execute' }] : []), { from: `${last}.payload`, to: 'out.value' }],
  });
  return flowId;
}

async function start(flowId: string): Promise<string> {
  return (await api('POST', `/flows/${flowId}/executions`, { json: {} })).body.executionId;
}

/** Resolves once the execution has written `node:waiting` for `nodeId`, with that event. */
async function waiting(executionId: string, nodeId: string): Promise<{ data: { signal: string; timeoutAt: string } }> {
  for (let after = -1; ; ) {
    const page = await api('GET', `/executions/${executionId}/events?after=${after}&waitMs=5000`);
    const found = page.body.events.find((event: { type: string; nodeId?: string }) => event.type === 'node:waiting' && event.nodeId === nodeId);
    if (found) return found;
    after = page.body.nextAfter;
  }
}

const ended = async (executionId: string) => {
  for (;;) {
    const { body } = await api('GET', `/executions/${executionId}`);
    if (['completed', 'failed', 'stopped'].includes(body.status)) return body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};


describe('signals', () => {
  it('completes a waiting node with the payload of a signal sent over HTTP', async () => {
    const executionId = await start(await approvalFlow());
    const event = await waiting(executionId, 'first');
    expect(event.data).toEqual({ signal: 'approval', timeoutAt: expect.any(String) });
    expect(Date.parse(event.data.timeoutAt)).toBeGreaterThan(Date.now() + 86_000_000);
    const before = Date.now();
    expect(await api('POST', `/executions/${executionId}/signals/approval`, { json: { payload: { by: 'ana', ok: true } } })).toEqual({ status: 202, body: { accepted: true } });
    expect(await ended(executionId)).toMatchObject({ status: 'completed', output: { by: 'ana', ok: true } });
    const { body } = await api('GET', `/executions/${executionId}/events`);
    const completed = body.events.find((entry: { type: string; nodeId?: string }) => entry.type === 'node:completed' && entry.nodeId === 'first');
    expect(Date.parse(completed.data.outputs.receivedAt)).toBeGreaterThanOrEqual(before - 1_000);
  });

  it('keeps a signal sent before the wait, and delivers the same signalId once; a second wait needs a second signal', async () => {
    const executionId = await start(await approvalFlow({ twice: true }));
    await client.sendSignal(executionId, 'approval', { payload: 'one', signalId: 'sig-1' });
    expect(await client.sendSignal(executionId, 'approval', { payload: 'one again', signalId: 'sig-1' })).toEqual({ accepted: true });
    await waiting(executionId, 'second');
    expect((await api('GET', `/executions/${executionId}`)).body.status).toBe('running');
    await client.sendSignal(executionId, 'approval', { payload: 'two' });
    expect(await ended(executionId)).toMatchObject({ status: 'completed', output: 'two' });
  });

  it('fails the wait with a Timeout that __error can handle', async () => {
    const flowId = uniqueFlowId('approval-timeout');
    await kit.flows.save(flowId, {
      nodes: [
        { id: 'wait', type: 'WaitForSignalNode', inputs: { signal: 'approval', timeoutMs: 300 } },
        { id: 'out', type: 'FlowOutputNode' },
      ],
      edges: [{ from: 'wait.__errorType', to: 'out.value' }],
    });
    expect(await ended(await start(flowId))).toMatchObject({ status: 'completed', output: 'Timeout' });
  });

  it('answers 409 for an ended execution and 404 for an unknown one, keeping nothing', async () => {
    const flowId = uniqueFlowId('signal-ended');
    await kit.flows.save(flowId, { nodes: [{ id: 't', type: 'TransformNode', inputs: { expression: '1' } }] });
    const done = (await api('POST', `/flows/${flowId}/executions?waitMs=20000`, { json: {} })).body;
    expect(done.status).toBe('completed');
    const conflict = await api('POST', `/executions/${done.executionId}/signals/approval`, { json: {} });
    expect(conflict).toMatchObject({ status: 409, body: { error: { code: 'ConflictError' } } });
    expect(await rejectionOf(client.sendSignal(done.executionId, 'approval'))).toBeInstanceOf(ConflictError);
    expect((await api('POST', '/executions/no-such-execution/signals/approval', { json: {} })).status).toBe(404);
    expect(await rejectionOf(client.sendSignal('no-such-execution', 'approval'))).toBeInstanceOf(NotFoundError);
    const messages = await kit.pool.query('SELECT count(*)::int AS n FROM dbos.notifications WHERE destination_uuid = $1', [done.executionId]);
    expect(messages.rows[0].n).toBe(0);
  });

  it('rejects bad input with the field named, over HTTP and invoke', async () => {
    const executionId = await start(await approvalFlow());
    const badName = await api('POST', `/executions/${executionId}/signals/${encodeURIComponent('no spaces')}`, { json: {} });
    expect(badName.status).toBe(400);
    expect(badName.body.error.details.map((problem: { field: string }) => problem.field)).toEqual(['signal']);
    expect((await api('POST', `/executions/${executionId}/signals/approval`, { json: { payload: 'x'.repeat(300_000) } })).status).toBe(413);
    expect((await api('POST', `/executions/${executionId}/signals/approval`, { json: { signalId: '' } })).status).toBe(400);
    const tooBig = await rejectionOf(client.sendSignal(executionId, 'approval', { payload: 'x'.repeat(270_000) }));
    expect(tooBig).toBeInstanceOf(ValidationError);
    expect((tooBig as ValidationError).details?.map((problem) => problem.field)).toEqual(['payload']);
    const messages = await kit.pool.query('SELECT count(*)::int AS n FROM dbos.notifications WHERE destination_uuid = $1', [executionId]);
    expect(messages.rows[0].n).toBe(0);
    await api('POST', `/executions/${executionId}/cancel`, { json: {} });
  });

  it('validates the node at save time', async () => {
    const reply = await api('PUT', `/flows/${uniqueFlowId('bad-wait')}`, { json: { nodes: [{ id: 'w', type: 'WaitForSignalNode', inputs: { signal: 'has space', timeoutMs: 0 } }] } });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.map((problem: { field: string }) => problem.field)).toEqual(['nodes[0].inputs.signal', 'nodes[0].inputs.timeoutMs']);
    const nodeTimeout = await api('PUT', `/flows/${uniqueFlowId('timed-wait')}`, { json: { nodes: [{ id: 'w', type: 'WaitForSignalNode', inputs: { signal: 'go' }, timeoutMs: 1000 }] } });
    expect(nodeTimeout.body.error.details).toEqual([{ field: 'nodes[0].timeoutMs', message: expect.stringMatching(/takes no timeoutMs/) }]);
  });
});

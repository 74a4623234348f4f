import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryDelayMs } from '../lib/engine/retry.js';
import { NodeError, ValidationError } from '../lib/errors.js';
import type { Retrier } from '../lib/flows/compile.js';
import { BUILT_IN_NODE_TYPES, NodeRegistry } from '../lib/flows/nodes/registry.js';
import type { NodeType } from '../lib/flows/nodes/types.js';
import { eventTrail, flowKit, uniqueFlowId, type FlowKit } from './support/flows.js';
import { sideEffectServer, type SideEffectServer } from './support/sideEffects.js';

let kit: FlowKit;
let server: SideEffectServer;

beforeAll(async () => {
  kit = flowKit();
  server = await sideEffectServer();
});

afterAll(async () => {
  await kit.close();
  await server.close();
});

const flakyCall = (path: string, retry: unknown[], extra: Record<string, unknown> = {}) => ({
  id: 'call',
  type: 'HttpRequestNode',
  inputs: { url: `${server.url}${path}`, failOnStatus: ['5xx', 429] },
  retry,
  ...extra,
});

describe('retry policies', () => {
  it('retries an HttpError with the policy delays and completes after exactly three calls', async () => {
    const path = `/${uniqueFlowId('retry')}/status-503-2`;
    const { execution, events } = await kit.runDefinition({
      nodes: [flakyCall(path, [{ on: ['HttpError', 'NetworkError'], maxAttempts: 5, intervalMs: 40, backoffRate: 2 }]), { id: 'out', type: 'FlowOutputNode' }],
      edges: [{ from: 'call.status', to: 'out.value' }],
    });
    expect(execution).toMatchObject({ status: 'completed', output: 200 });
    expect(server.calls(path)).toBe(3);
    const retrying = events.filter((event) => event.type === 'node:retrying').map((event) => event.data as { attempt: number; delayMs: number; error: { type: string; details: { status: number; truncated: boolean; body: string } } });
    expect(retrying.map(({ attempt, delayMs }) => ({ attempt, delayMs }))).toEqual([{ attempt: 1, delayMs: 40 }, { attempt: 2, delayMs: 80 }]);
    expect(retrying[0]?.error).toMatchObject({ type: 'HttpError', details: { status: 503, truncated: true } });
    expect(Buffer.byteLength(retrying[0]?.error.details.body ?? '')).toBe(4_096);
    expect(eventTrail(events).filter((entry) => entry.endsWith(' call'))).toEqual(['node:started call', 'node:retrying call', 'node:retrying call', 'node:completed call']);
  });

  it('does not retry a failure whose type no retrier names', async () => {
    const path = `/${uniqueFlowId('no-match')}/status-503-1`;
    const { execution, events } = await kit.runDefinition({ nodes: [flakyCall(path, [{ on: ['NetworkError'], intervalMs: 10 }])] });
    expect(execution.error).toMatchObject({ type: 'HttpError', nodeId: 'call', details: { status: 503 } });
    expect(server.calls(path)).toBe(1);
    expect(events.find((event) => event.type === 'node:failed')?.data).toMatchObject({ attempts: 1, handled: false });
  });

  it('hands the failure to __error once the attempts run out, with __errorType HttpError', async () => {
    const path = `/${uniqueFlowId('exhausted')}/status-429-5`;
    const { execution, events } = await kit.runDefinition({
      nodes: [flakyCall(path, [{ maxAttempts: 1, intervalMs: 10 }]), { id: 'out', type: 'FlowOutputNode' }],
      edges: [{ from: 'call.__errorType', to: 'out.value' }],
    });
    expect(execution).toMatchObject({ status: 'completed', output: 'HttpError' });
    expect(server.calls(path)).toBe(2);
    expect(events.find((event) => event.type === 'node:failed')?.data).toMatchObject({ attempts: 2, handled: true, error: { type: 'HttpError' } });
  });

  it('resolves answers that failOnStatus does not name', async () => {
    const path = `/${uniqueFlowId('not-named')}/status-404-1`;
    const { execution } = await kit.runDefinition({ nodes: [flakyCall(path, []), { id: 'out', type: 'FlowOutputNode' }], edges: [{ from: 'call.status', to: 'out.value' }] });
    expect(execution).toMatchObject({ status: 'completed', output: 404 });
  });

  it('keeps a count per retrier when failures of different types alternate', async () => {
    const seen = new Map<string, number>();
    const alternating: NodeType = {
      type: 'AlternatingNode',
      description: 'Fails with A, B, A, B, then succeeds (tests only).',
      inputs: {},
      outputs: { done: { type: 'boolean' } },
      async run(_inputs, context) {
        const attempt = (seen.get(context.executionId) ?? 0) + 1;
        seen.set(context.executionId, attempt);
        if (attempt <= 4) throw new NodeError(attempt % 2 === 1 ? 'A' : 'B', `attempt ${attempt}`);
        return { done: true };
      },
    };
    const runner = kit.runner({ registry: new NodeRegistry([...BUILT_IN_NODE_TYPES, alternating]) });
    const node = (maxAttempts: number) => ({ id: 'alt', type: 'AlternatingNode', retry: [{ on: ['A'], maxAttempts, intervalMs: 0 }, { on: ['B'], maxAttempts, intervalMs: 0 }] });
    expect((await runner.runDefinition({ nodes: [node(2)] })).execution.status).toBe('completed');
    const once = await runner.runDefinition({ nodes: [node(1)] });
    expect(once.execution.error).toMatchObject({ type: 'A', message: 'attempt 3' });
  });

  it('stops at once when cancelled during a delay, without another attempt', async () => {
    const path = `/${uniqueFlowId('cancel-delay')}/status-503-9`;
    const controller = new AbortController();
    const running = kit.runDefinition({ nodes: [flakyCall(path, [{ intervalMs: 60_000 }])] }, null, { signal: controller.signal });
    while (server.calls(path) < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort('operator said stop');
    const { execution, events } = await running;
    expect(execution).toMatchObject({ status: 'stopped', error: { type: 'Cancelled', message: 'operator said stop' } });
    expect(server.calls(path)).toBe(1);
    expect(eventTrail(events).at(-1)).toBe('flow:cancelled');
  });

  it('rejects a malformed policy at save time, naming each field', async () => {
    const error = await kit.flows
      .save(uniqueFlowId('bad-policy'), {
        nodes: [
          { id: 'a', type: 'FailNode' },
          { id: 'b', type: 'FailNode', retry: [{ on: [], maxAttempts: 100, intervalMs: 1.5, backoffRate: 0.5, maxDelayMs: 0, jitter: 'some' }] },
          { id: 'c', type: 'HttpRequestNode', inputs: { url: 'http://example.test/', failOnStatus: ['5xx', 'teapot', 99] } },
        ],
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details?.map((problem) => problem.field)).toEqual([
      'nodes[1].retry[0].on',
      'nodes[1].retry[0].maxAttempts',
      'nodes[1].retry[0].intervalMs',
      'nodes[1].retry[0].backoffRate',
      'nodes[1].retry[0].maxDelayMs',
      'nodes[1].retry[0].jitter',
    ]);
    const statuses = await kit.flows
      .save(uniqueFlowId('bad-status'), { nodes: [{ id: 'c', type: 'HttpRequestNode', inputs: { url: 'http://example.test/', failOnStatus: ['5xx', 'teapot', 99] } }] })
      .catch((caught: unknown) => caught);
    expect((statuses as ValidationError).details?.map((problem) => problem.field)).toEqual(['nodes[0].inputs.failOnStatus[1]', 'nodes[0].inputs.failOnStatus[2]']);
  });
});

describe('retry delays', () => {
  const retrier = (overrides: Partial<Retrier>): Retrier => ({ on: ['*'], maxAttempts: 3, intervalMs: 1_000, backoffRate: 2, maxDelayMs: undefined, jitter: 'none', ...overrides });

  it('grow by the backoff rate and stop at maxDelayMs', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(retrier({ maxDelayMs: 5_000 }), n, 'k'))).toEqual([1_000, 2_000, 4_000, 5_000]);
  });

  it('with full jitter, fall within [0, the computed delay], alike for the same key', () => {
    const jittered = retrier({ jitter: 'full', intervalMs: 10_000 });
    const draws = Array.from({ length: 200 }, (_, i) => retryDelayMs(jittered, 1, `execution:node:${i}`));
    expect(draws.every((delay) => delay >= 0 && delay <= 10_000)).toBe(true);
    expect(new Set(draws).size).toBeGreaterThan(150);
    expect(retryDelayMs(jittered, 1, 'execution:node:7')).toBe(draws[7]);
  });
});

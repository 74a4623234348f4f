import { describe, expect, it } from 'vitest';
import { doublingFlow } from './support/fixtures.js';
import { uniqueFlowId } from './support/flows.js';
import { http } from './support/stack.js';

describe('flow and execution routes over the HTTP API', () => {
  it('saves a flow with versions, reads it back and lists it', async () => {
    const flowId = uniqueFlowId('http-flow');
    expect(await http('PUT', `/flows/${flowId}`, { json: { name: 'Doubling', ...doublingFlow() } })).toEqual({ status: 200, body: { flowId, version: 1 } });
    expect(await http('PUT', `/flows/${flowId}`, { json: { name: 'Doubling', ...doublingFlow() } })).toEqual({ status: 200, body: { flowId, version: 1 } });
    expect(await http('PUT', `/flows/${flowId}`, { json: { name: 'Doubling', ...doublingFlow(5) } })).toEqual({ status: 200, body: { flowId, version: 2 } });
    const read = await http('GET', `/flows/${flowId}`);
    expect(read).toMatchObject({ status: 200, body: { flowId, version: 2, definition: { name: 'Doubling' } } });
    // An older version by its number (what an execution pinned), as the console reads it.
    const older = await http('GET', `/flows/${flowId}?version=1`);
    expect(older).toMatchObject({ status: 200, body: { flowId, version: 1, definition: { nodes: doublingFlow().nodes } } });
    expect((await http('GET', `/flows/${flowId}?version=3`)).status).toBe(404);
    const list = await http('GET', '/flows');
    expect(list.body.items).toContainEqual({ flowId, version: 2, name: 'Doubling' });
  });

  it('lists every problem of an invalid flow, and answers 404 for an unknown one', async () => {
    const flowId = uniqueFlowId('http-invalid');
    const reply = await http('PUT', `/flows/${flowId}`, { json: { nodes: [{ id: 'a', type: 'Nope' }, { id: 'a', type: 'FlowInputNode' }] } });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.map((problem: { field: string }) => problem.field)).toEqual(['nodes[0].type', 'nodes[1].id']);
    expect((await http('GET', `/flows/${flowId}`)).status).toBe(404);
    expect((await http('GET', '/flows/bad%20id')).body.error.code).toBe('ValidationError');
  });

  it('starts executions, waits for them, pages through them and reads their events', async () => {
    const flowId = uniqueFlowId('http-run');
    await http('PUT', `/flows/${flowId}`, { json: doublingFlow(10) });
    const waited = await http('POST', `/flows/${flowId}/executions?waitMs=20000`, { json: { input: 21 } });
    expect(waited).toMatchObject({ status: 200, body: { flowId, status: 'completed', output: 42 } });
    const queued = await http('POST', `/flows/${flowId}/executions`, { json: { input: 1 } });
    expect(queued).toEqual({ status: 202, body: { executionId: expect.any(String), status: 'created' } });
    expect((await http('GET', `/executions/${waited.body.executionId}`)).body).toEqual(waited.body);

    const first = await http('GET', `/flows/${flowId}/executions?limit=1`);
    expect(first.body.items.map((item: { executionId: string }) => item.executionId)).toEqual([queued.body.executionId]);
    const second = await http('GET', `/flows/${flowId}/executions?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((item: { executionId: string }) => item.executionId)).toEqual([waited.body.executionId]);

    let after = -1;
    const types: string[] = [];
    for (let done = false; !done; ) {
      const page = await http('GET', `/executions/${queued.body.executionId}/events?after=${after}&waitMs=5000`);
      types.push(...page.body.events.map((event: { type: string }) => event.type));
      after = page.body.nextAfter;
      done = page.body.done;
    }
    expect(types[0]).toBe('execution:created');
    expect(types.at(-1)).toBe('flow:completed');
  });

  it('cancels an execution, and answers an ended one unchanged', async () => {
    const flowId = uniqueFlowId('http-cancel');
    await http('PUT', `/flows/${flowId}`, { json: { nodes: [{ id: 'nap', type: 'SleepNode', inputs: { ms: 600_000 } }] } });
    const { body } = await http('POST', `/flows/${flowId}/executions`, { json: {} });
    const cancelled = await http('POST', `/executions/${body.executionId}/cancel`, { json: { reason: 'changed my mind' } });
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'stopped' } });
    expect(await http('POST', `/executions/${body.executionId}/cancel`, { json: {} })).toEqual(cancelled);
  });

  it('follows the events of a cancelled execution to done, which comes with flow:cancelled', async () => {
    const flowId = uniqueFlowId('http-cancel-events');
    await http('PUT', `/flows/${flowId}`, { json: { nodes: [{ id: 'nap', type: 'SleepNode', inputs: { ms: 600_000 } }] } });
    for (const cancelWhen of ['at once', 'once running']) {
      const { body } = await http('POST', `/flows/${flowId}/executions`, { json: {} });
      const events: Array<{ index: number; type: string }> = [];
      const follow = async (until: (page: { events: typeof events; done: boolean }) => boolean) => {
        for (;;) {
          const page = await http('GET', `/executions/${body.executionId}/events?after=${events.at(-1)?.index ?? -1}&waitMs=5000`);
          events.push(...page.body.events);
          if (until(page.body)) return page.body.done as boolean;
        }
      };
      if (cancelWhen === 'once running') await follow((page) => page.events.some((event) => event.type === 'node:started'));
      expect((await http('POST', `/executions/${body.executionId}/cancel`, { json: { reason: 'stop' } })).body.status).toBe('stopped');
      expect(await follow((page) => page.done)).toBe(true);
      expect(events.at(-1)?.type).toBe('flow:cancelled');
      expect(events.map((event) => event.index)).toEqual(events.map((_, index) => index));
      expect(events.filter((event) => event.type.startsWith('flow:') && event.type !== 'flow:started')).toHaveLength(1);
    }
  });

  it('pages events by size: at most 1 MiB of them, nextAfter going on', async () => {
    const flowId = uniqueFlowId('http-big-events');
    const big = (id: string) => ({ id, type: 'TransformNode', inputs: { expression: '$pad("", 300000, "x")' } });
    await http('PUT', `/flows/${flowId}`, { json: { nodes: [big('a'), big('b'), big('c'), big('d')] } });
    const ended = await http('POST', `/flows/${flowId}/executions?waitMs=20000`, { json: {} });
    expect(ended.body.status).toBe('completed');
    const first = await http('GET', `/executions/${ended.body.executionId}/events`);
    expect(first.body.done).toBe(false);
    expect(Buffer.byteLength(JSON.stringify(first.body.events))).toBeLessThanOrEqual(1024 * 1024);
    const second = await http('GET', `/executions/${ended.body.executionId}/events?after=${first.body.nextAfter}`);
    const all = [...first.body.events, ...second.body.events];
    expect(second.body.done).toBe(true);
    expect(all.map((event: { index: number }) => event.index)).toEqual(all.map((_: unknown, index: number) => index));
    expect(all.at(-1).type).toBe('flow:completed');
  });

  describe('bad input gets a 4xx naming the problem', () => {
    const flowId = uniqueFlowId('http-bad');
    type Case = [label: string, method: string, path: string, options: Parameters<typeof http>[2], status: number, field?: string];
    const cases: Case[] = [
      ['waitMs past 25 s', 'POST', `/flows/${flowId}/executions?waitMs=25001`, { json: {} }, 400, 'waitMs'],
      ['waitMs not a number', 'POST', `/flows/${flowId}/executions?waitMs=soon`, { json: {} }, 400, 'waitMs'],
      ['an empty idempotency key', 'POST', `/flows/${flowId}/executions`, { json: { idempotencyKey: '' } }, 400, 'idempotencyKey'],
      ['an array body', 'POST', `/flows/${flowId}/executions`, { json: [1] }, 400, 'body'],
      ['an unknown flow', 'POST', `/flows/${flowId}/executions`, { json: {} }, 404],
      ['a limit of 0', 'GET', `/flows/${flowId}/executions?limit=0`, {}, 400, 'limit'],
      ['a flow version of 0', 'GET', `/flows/${flowId}?version=0`, {}, 400, 'version'],
      ['a flow version that is no number', 'GET', `/flows/${flowId}?version=latest`, {}, 400, 'version'],
      ['a forged cursor', 'GET', `/flows/${flowId}/executions?cursor=abc`, {}, 400, 'cursor'],
      ['an unknown execution', 'GET', '/executions/no-such-execution', {}, 404],
      ['events after -2', 'GET', '/executions/x/events?after=-2', {}, 400, 'after'],
      ['events of an unknown execution', 'GET', '/executions/no-such-execution/events', {}, 404],
      ['cancelling an unknown execution', 'POST', '/executions/no-such-execution/cancel', { json: {} }, 404],
      ['a flow body that is not JSON', 'PUT', `/flows/${flowId}`, { rawBody: 'nodes: []', contentType: 'text/yaml' }, 415],
    ];
    it.each(cases)('%s', async (_label, method, path, options, status, field) => {
      const reply = await http(method, path, options);
      expect(reply.status).toBe(status);
      if (field) expect(reply.body.error.details.map((problem: { field: string }) => problem.field)).toContain(field);
      expect((await http('GET', `/flows/${flowId}/executions`)).body).toMatchObject({ items: [] });
    });
  });
});

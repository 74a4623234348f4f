import { afterAll, beforeAll, expect, it } from 'vitest';
import { doublingFlow } from './support/fixtures.js';
import { flowKit, uniqueFlowId, type FlowKit } from './support/flows.js';
import { invoke } from './support/stack.js';

let kit: FlowKit;
let flowId: string;
beforeAll(async () => {
  kit = flowKit();
  flowId = uniqueFlowId('scheduled');
  await kit.flows.save(flowId, doublingFlow());
});
afterAll(() => kit.close());

// The event EventBridge delivers through the schedule's input transformer.
const tick = (time: string) => ({ flowId, input: 4, time });

it('starts one execution per tick, even when the tick is delivered twice', async () => {
  const first = await invoke('scheduledTrigger', tick('2026-11-22T10:00:00Z'));
  const duplicate = await invoke('scheduledTrigger', tick('2026-11-22T10:00:00Z'));
  const next = await invoke('scheduledTrigger', tick('2026-11-22T11:00:00Z'));
  expect(first.payload).toMatchObject({ created: true, executionId: expect.any(String) });
  expect(duplicate.payload).toMatchObject({ created: false, executionId: first.payload.executionId });
  expect(next.payload.executionId).not.toBe(first.payload.executionId);
  expect((await kit.store.listByFlow(flowId, { limit: 10 })).items).toHaveLength(2);
});

it('rejects a tick without its fire time, or a raw event without a flow, starting nothing', async () => {
  const otherFlow = uniqueFlowId('unscheduled');
  await kit.flows.save(otherFlow, doublingFlow());
  const noTime = await invoke('scheduledTrigger', { flowId: otherFlow, input: 1 });
  expect(noTime.payload).toMatchObject({ errorType: 'ValidationError', errorMessage: expect.stringContaining('time') });
  const raw = await invoke('scheduledTrigger', { 'detail-type': 'Scheduled Event', time: '2026-11-22T10:00:00Z' });
  expect(raw.payload).toMatchObject({ errorType: 'ValidationError', errorMessage: expect.stringContaining('flowId') });
  expect((await kit.store.listByFlow(otherFlow, { limit: 10 })).items).toEqual([]);
});

import { runFlow } from '../lib/engine/runFlow.js';
import { compileFlow } from '../lib/flows/compile.js';
import { NodeRegistry } from '../lib/flows/nodes/registry.js';
import type { FlowServices, NodeType } from '../lib/flows/nodes/types.js';
import { absoluteMetric, median, type Metric } from './support.js';

const NODES = 1_000;
const ROUNDS = 7;
/** Our own budget for the engine's cost per node (SPEC §9 sets none for the engine alone). */
const OVERHEAD_BUDGET_US = 100;

/** The work each node does, the same in the engine and in the plain loop. */
const work = async (value: number): Promise<number> => value + 1;

const AddOneNode: NodeType = {
  type: 'AddOneNode',
  description: 'value + 1 (benchmark only)',
  inputs: { value: { type: 'number', default: 0 } },
  outputs: { value: { type: 'number' } },
  run: async (inputs) => ({ value: await work(inputs.value as number) }),
};

const registry = new NodeRegistry([AddOneNode]);
const services = {} as FlowServices;

const chain = compileFlow(
  {
    nodes: Array.from({ length: NODES }, (_, i) => ({ id: `n${i}`, type: 'AddOneNode' })),
    edges: Array.from({ length: NODES - 1 }, (_, i) => ({ from: `n${i}.value`, to: `n${i + 1}.value` })),
  },
  registry,
);
const fanOut = compileFlow(
  {
    nodes: [{ id: 'root', type: 'AddOneNode' }, ...Array.from({ length: NODES }, (_, i) => ({ id: `n${i}`, type: 'AddOneNode' }))],
    edges: Array.from({ length: NODES }, (_, i) => ({ from: 'root.value', to: `n${i}.value` })),
  },
  registry,
);

async function timeMs(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

async function engineMs(flow: typeof chain): Promise<number> {
  const events: unknown[] = [];
  return timeMs(() => runFlow(flow, { executionId: 'bench', input: null, services, emit: (event) => void events.push(event), maxParallel: 8 }));
}

const plainChain = () =>
  timeMs(async () => {
    let value = 0;
    for (let i = 0; i < NODES; i += 1) value = await work(value);
  });

const plainFanOut = () =>
  timeMs(async () => {
    const root = await work(0);
    await Promise.all(Array.from({ length: NODES }, () => work(root)));
  });

async function overhead(name: string, engine: () => Promise<number>, plain: () => Promise<number>): Promise<Metric> {
  await engine();
  await plain();
  const engineTimes: number[] = [];
  const plainTimes: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    engineTimes.push(await engine());
    plainTimes.push(await plain());
  }
  const perNodeUs = ((median(engineTimes) - median(plainTimes)) * 1000) / NODES;
  const metric = absoluteMetric(name, 'µs/node', perNodeUs, OVERHEAD_BUDGET_US);
  return { ...metric, baseline: Number(((median(plainTimes) * 1000) / NODES).toFixed(3)) };
}

export async function benchEngine(): Promise<Metric[]> {
  return [
    await overhead(`engine overhead, ${NODES}-node chain`, () => engineMs(chain), plainChain),
    await overhead(`engine overhead, ${NODES}-wide fan-out`, () => engineMs(fanOut), plainFanOut),
  ];
}

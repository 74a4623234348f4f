import type { CompiledFlow, CompiledNode } from '../flows/compile.js';
import type { FlowServices, NodeContext, NodeOutputs } from '../flows/nodes/types.js';
import { NodeError, type ErrorRecord } from '../errors.js';
import { ERROR_MESSAGE_PORT, ERROR_PORT, ERROR_TYPE_PORT, EXECUTE_PORT, isAssignable, SUCCESS_PORT, typeOfValue } from '../flows/ports.js';
import { untilAborted } from '../time.js';
import { isSecretRef, redacted, resolveSecretRefs } from '../flows/secrets.js';
import { matchingRetrier, retryDelayMs } from './retry.js';
import { directStepRunner, type EngineEvent, type FlowOutcome, type SettledNode, type StepRunner } from './types.js';

export interface RunFlowOptions {
  executionId: string;
  input: unknown;
  services: FlowServices;
  /** Receives every event in order; the caller numbers and stores them. */
  emit(event: EngineEvent): void | Promise<void>;
  /** Aborting it cancels the execution. */
  signal?: AbortSignal;
  stepRunner?: StepRunner;
  /** Most nodes running at once. Default 8. */
  maxParallel?: number;
  /** Timeout of nodes that set none themselves. Default: none. */
  nodeTimeoutMs?: number;
  /** Timeout of flows that set none themselves. Default: none. */
  flowTimeoutMs?: number;
  /**
   * When the execution first started (epoch ms): the flow timeout counts from then, so a run
   * resumed after a crash gets only what is left of it. Default: now.
   */
  startedAt?: number;
  /**
   * Nodes that settled in earlier runs (a redrive): they keep their outputs, or their handled
   * failure, and do not run again. The flow's output node always runs again (it is pure).
   */
  settled?: Readonly<Record<string, SettledNode>>;
  /** Learns when each node starts and ends (its retries included): a worker lends its slot out while every started node waits. */
  activity?: { nodeStarted(): void; nodeEnded(): void };
}

/** What a finished node resolved: its output ports with values. A port not here is dead. */
type Resolved = Map<string, unknown>;

type Readiness = { kind: 'wait' } | { kind: 'skip'; reason: string } | { kind: 'ready'; inputs: Record<string, unknown> };

/** One attempt's outcome: plain data, so that a step can checkpoint it. */
type AttemptResult = { ok: true; outputs: NodeOutputs } | { ok: false; error: ErrorRecord; failedAt?: number };
type NodeResult = AttemptResult & { attempts: number };

class FlowAborted extends Error {}

/**
 * Runs a compiled flow to its end. Nodes run in waves: each wave is every node whose inputs are
 * all settled, started in topological order with at most `maxParallel` at once; its results are
 * applied, and its events written, in that same order once the whole wave has settled. So the
 * sequence of steps and events depends only on the flow and the nodes' results, never on timing,
 * and a durable replay takes exactly the same path.
 */
export async function runFlow(flow: CompiledFlow, options: RunFlowOptions): Promise<FlowOutcome> {
  const stepRunner = options.stepRunner ?? directStepRunner;
  const maxParallel = Math.max(1, options.maxParallel ?? 8);
  const flowTimeoutMs = flow.timeoutMs ?? options.flowTimeoutMs;
  const controller = new AbortController();
  const abortFromCaller = () => controller.abort(new FlowAborted(reasonText(options.signal?.reason, 'cancelled')));
  if (options.signal?.aborted) abortFromCaller();
  options.signal?.addEventListener('abort', abortFromCaller, { once: true });
  let timedOut = false;
  const timeOut = () => {
    timedOut = true;
    controller.abort(new FlowAborted(`flow timed out after ${flowTimeoutMs} ms`));
  };
  let flowTimer: NodeJS.Timeout | undefined;
  if (flowTimeoutMs !== undefined) {
    const remainingMs = flowTimeoutMs - (options.startedAt === undefined ? 0 : Date.now() - options.startedAt);
    // Already past the deadline: stop before the first wave, not after whatever an instant node does.
    if (remainingMs <= 0) timeOut();
    else flowTimer = setTimeout(timeOut, remainingMs);
  }

  const finished = new Map<string, Resolved>();
  // Secret values this run resolved and values nodes declare sensitive (a lockId, credential
  // headers): they flow along edges, but read "[redacted]" wherever recorded.
  const sensitive = new Set<string>();
  for (const [nodeId, settled] of Object.entries(options.settled ?? {})) {
    if (nodeId !== flow.outputNodeId && flow.byId.has(nodeId)) finished.set(nodeId, resolvedOf(settled));
  }
  // Only nodes whose sources changed can change readiness: start with all, then the successors
  // of each node that finishes.
  let dirty = new Set<CompiledNode>(flow.nodes);
  let flowOutput: unknown = null;

  const finish = async (outcome: FlowOutcome): Promise<FlowOutcome> => {
    clearTimeout(flowTimer);
    options.signal?.removeEventListener('abort', abortFromCaller);
    if (outcome.status === 'completed') outcome = { ...outcome, output: redacted(outcome.output, sensitive) };
    if (outcome.status === 'failed') outcome = { ...outcome, error: redacted(outcome.error, sensitive) as ErrorRecord };
    if (outcome.status === 'completed') await options.emit({ type: 'flow:completed', data: { output: outcome.output } });
    else if (outcome.status === 'failed') await options.emit({ type: 'flow:failed', data: { error: outcome.error } });
    else await options.emit({ type: 'flow:cancelled', data: { reason: outcome.reason } });
    return outcome;
  };
  const aborted = (): FlowOutcome | undefined => {
    if (!controller.signal.aborted) return undefined;
    const reason = reasonText(controller.signal.reason, 'cancelled');
    return timedOut ? { status: 'failed', error: { type: 'Timeout', message: reason } } : { status: 'cancelled', reason };
  };

  await options.emit({ type: 'flow:started' });
  for (;;) {
    const stopped = aborted();
    if (stopped) return finish(stopped);

    const wave: Array<{ node: CompiledNode; inputs: Record<string, unknown> }> = [];
    while (dirty.size > 0) {
      // Skips cascade forward; each pass takes the nodes in topological order.
      const pass = [...dirty].sort(byOrder);
      dirty = new Set();
      for (const node of pass) {
        if (finished.has(node.id)) continue;
        const readiness = readinessOf(node, finished);
        if (readiness.kind === 'skip') {
          finished.set(node.id, new Map());
          for (const successor of flow.successors.get(node.id) ?? []) dirty.add(successor);
          await options.emit({ type: 'node:skipped', nodeId: node.id, data: { reason: readiness.reason } });
        } else if (readiness.kind === 'ready') {
          wave.push({ node, inputs: readiness.inputs });
        }
      }
    }
    if (wave.length === 0) return finish({ status: 'completed', output: flowOutput });
    wave.sort((a, b) => byOrder(a.node, b.node));

    const results = new Array<NodeResult>(wave.length);
    const start = async (index: number) => {
      const { node, inputs } = wave[index] as (typeof wave)[number];
      await options.emit({ type: 'node:started', nodeId: node.id });
      options.activity?.nodeStarted();
      try {
        results[index] = await runNode(node, inputs, options, stepRunner, controller.signal, sensitive);
      } finally {
        options.activity?.nodeEnded();
      }
    };
    // A replay must make the same durable calls in the same order. Nodes that make one call as
    // they start run together, a chunk of maxParallel at a time, so each chunk's calls are made
    // in the wave's order. Nodes that make more calls later, or wait for something first (a retry
    // policy, a node that runs alone, secrets to resolve), run one at a time after them. Once the flow is stopped, no further node starts.
    const runsAlone = (index: number) => {
      const { node } = wave[index] as (typeof wave)[number];
      return node.nodeType.runsAlone === true || node.retry.length > 0 || node.secretPorts.length > 0;
    };
    const indexes = wave.map((_, index) => index);
    const together = indexes.filter((index) => !runsAlone(index));
    for (let from = 0; from < together.length && !controller.signal.aborted; from += maxParallel) {
      await Promise.all(together.slice(from, from + maxParallel).map(start));
    }
    for (const index of indexes.filter(runsAlone)) {
      if (controller.signal.aborted) break;
      await start(index);
    }

    const stoppedDuringWave = aborted();
    if (stoppedDuringWave) {
      // Nodes of the wave that completed before the stop are recorded as completed, so that a
      // redrive keeps their outputs instead of running them (and their side effects) again.
      for (const [index, { node }] of wave.entries()) {
        const result = results[index];
        if (result?.ok) noteHandedOn(flow, node, result.outputs, sensitive);
        if (result?.ok && node.id !== flow.outputNodeId) await options.emit({ type: 'node:completed', nodeId: node.id, data: { outputs: redacted(result.outputs, sensitive) } });
      }
      return finish(stoppedDuringWave);
    }

    let unhandled: ErrorRecord | undefined;
    for (const [index, { node, inputs }] of wave.entries()) {
      const result = results[index] as NodeResult;
      for (const successor of flow.successors.get(node.id) ?? []) dirty.add(successor);
      if (result.ok) {
        noteHandedOn(flow, node, result.outputs, sensitive);
        finished.set(node.id, resolvedOf(result));
        if (node.id === flow.outputNodeId) flowOutput = inputs.value ?? null;
        await options.emit({ type: 'node:completed', nodeId: node.id, data: { outputs: redacted(result.outputs, sensitive) } });
      } else {
        const { error, attempts } = result;
        finished.set(node.id, resolvedOf({ error }));
        const recorded = redacted(error, sensitive) as ErrorRecord;
        await options.emit({ type: 'node:failed', nodeId: node.id, data: { error: recorded, handled: node.errorHandled, attempts } });
        if (!node.errorHandled) unhandled ??= { ...recorded, nodeId: node.id };
      }
    }
    if (unhandled) return finish({ status: 'failed', error: unhandled });
  }
}

const byOrder = (a: CompiledNode, b: CompiledNode) => a.order - b.order;

/** The ports a settled node resolved: its outputs and `__success`, or its error ports. */
function resolvedOf(settled: SettledNode): Resolved {
  if ('error' in settled) return new Map<string, unknown>([[ERROR_PORT, true], [ERROR_MESSAGE_PORT, settled.error.message], [ERROR_TYPE_PORT, settled.error.type]]);
  return new Map<string, unknown>([...Object.entries(settled.outputs), [SUCCESS_PORT, true]]);
}

/** Whether every connected input of `node` has settled, and with what. */
function readinessOf(node: CompiledNode, finished: Map<string, Resolved>): Readiness {
  const connected: Record<string, unknown> = {};
  let waiting = false;
  for (const [port, edges] of node.incoming) {
    let settled = true;
    let value: { of: unknown } | undefined;
    for (const edge of edges) {
      const source = finished.get(edge.from.nodeId);
      if (!source) settled = false;
      else if (value === undefined && source.has(edge.from.port)) value = { of: source.get(edge.from.port) };
    }
    if (value) connected[port] = value.of;
    else if (settled) return { kind: 'skip', reason: `input ${port} has no resolved source` };
    else waiting = true;
  }
  if (waiting) return { kind: 'wait' };
  if (EXECUTE_PORT in connected && connected[EXECUTE_PORT] !== true) return { kind: 'skip', reason: `${EXECUTE_PORT} is not true` };

  const inputs: Record<string, unknown> = {};
  for (const [port, spec] of Object.entries(node.nodeType.inputs)) {
    if (port in connected) inputs[port] = connected[port];
    else if (port in node.staticInputs) inputs[port] = node.staticInputs[port];
    else inputs[port] = spec.default ?? null;
  }
  return { kind: 'ready', inputs };
}

/**
 * Runs a node to its end: each attempt, then, while a retrier of its policy matches the failure's
 * type and has attempts left, the retrier's delay (durable under the worker) and the next attempt.
 * Cancellation ends it at once and is never retried.
 */
async function runNode(
  node: CompiledNode,
  inputs: Record<string, unknown>,
  options: RunFlowOptions,
  stepRunner: StepRunner,
  flowSignal: AbortSignal,
  sensitive: Set<string>,
): Promise<NodeResult> {
  for (const [port, spec] of Object.entries(node.nodeType.inputs)) {
    // A secret reference stands for a string until it is resolved, in the attempt.
    const actual = isSecretRef(inputs[port]) && !node.incoming.has(port) ? 'string' : typeOfValue(inputs[port]);
    if (!isAssignable(actual, spec.type)) {
      return { ok: false, error: new NodeError('InvalidInput', `input ${port} must be ${spec.type}, got ${actual}`, { details: { port } }).record(), attempts: 1 };
    }
  }
  const retriesUsed = node.retry.map(() => 0);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const result = await attemptNode(node, inputs, attempt, options, stepRunner, flowSignal, sensitive);
      await noteSensitive(node, inputs, result.ok ? result.outputs : undefined, options.services.secret, sensitive);
      if (result.ok) return { ...result, attempts: attempt };
      const index = matchingRetrier(node.retry, result.error.type);
      const retrier = node.retry[index];
      if (!retrier || (retriesUsed[index] as number) >= retrier.maxAttempts) return { ...result, attempts: attempt };
      retriesUsed[index] = (retriesUsed[index] as number) + 1;
      const delayMs = retryDelayMs(retrier, retriesUsed[index] as number, `${options.executionId}:${node.id}:${attempt}`);
      await options.emit({ type: 'node:retrying', nodeId: node.id, data: { attempt, error: redacted(result.error, sensitive), delayMs } });
      // The delay counts from the failure, not from after its checkpoint.
      await options.services.sleep(Math.max(0, (result.failedAt ?? Date.now()) + delayMs - Date.now()), flowSignal);
    } catch (error) {
      // Cancelled or timed out as a whole: the wave ends the flow and this result is never used.
      // Anything else went wrong in the step machinery, not in the node: the node fails with it.
      return { ok: false, error: NodeError.from(error).record(), attempts: attempt };
    }
  }
}

/**
 * One attempt, as one step when the node type runs in steps. A failure is the step's result, as
 * data (`{ok: false, error}`), not a thrown error: a replay gets it back exactly, type and all.
 * The node's timeout bounds the attempt inside the step, so a replay sees the same timeout.
 */
async function attemptNode(
  node: CompiledNode,
  wired: Record<string, unknown>,
  attempt: number,
  options: RunFlowOptions,
  stepRunner: StepRunner,
  flowSignal: AbortSignal,
  sensitive: Set<string>,
): Promise<AttemptResult> {
  const { timeoutLimit } = node.nodeType;
  const timeoutMs = node.nodeType.runsAlone ? undefined : (node.timeoutMs ?? (timeoutLimit ? options.services.limits[timeoutLimit] : options.nodeTimeoutMs));
  const work = async (): Promise<AttemptResult> => {
    // Secrets are resolved inside the attempt: after its durable call was made (so they cannot
    // change the order of calls), and a failure to resolve one is the attempt's failure.
    let inputs = wired;
    try {
      if (node.secretPorts.length > 0) inputs = await withSecrets(node, wired, options.services.secret, sensitive);
    } catch (error) {
      return { ok: false, error: NodeError.from(error).record(), failedAt: Date.now() };
    }
    const signal = timeoutMs === undefined ? flowSignal : AbortSignal.any([flowSignal, AbortSignal.timeout(timeoutMs)]);
    const context: NodeContext = {
      executionId: options.executionId,
      nodeId: node.id,
      attempt,
      input: options.input,
      signal,
      services: options.services,
      report: async (event) => options.emit({ ...event, nodeId: node.id, data: redacted(event.data, sensitive) }),
    };
    try {
      const outputs = declaredOutputs(node, await untilAborted(node.nodeType.run(inputs, context), signal));
      const limit = options.services.limits.maxNodeOutputBytes;
      const size = Buffer.byteLength(JSON.stringify(outputs));
      if (size > limit) {
        const error = new NodeError('LimitExceeded', `the node's outputs are ${size} bytes of JSON; MAX_NODE_OUTPUT_BYTES is ${limit}`, {
          details: { setting: 'MAX_NODE_OUTPUT_BYTES', limit, actual: size },
        });
        return { ok: false, error: error.record(), failedAt: Date.now() };
      }
      return { ok: true, outputs };
    } catch (error) {
      if (flowSignal.aborted) throw error;
      if (signal.aborted) return { ok: false, error: new NodeError('Timeout', `timed out after ${timeoutMs} ms`).record(), failedAt: Date.now() };
      return { ok: false, error: NodeError.from(error).record(), failedAt: Date.now() };
    }
  };
  // A pure node is recomputed on replay, as workflow code is; anything else is a checkpointed step.
  return untilAborted(node.nodeType.runsOutsideStep || node.pure ? work() : stepRunner.run(node.id, work), flowSignal);
}

/** `inputs` with the node's static secret references resolved (only static ones: a value that came along an edge is data). */
async function withSecrets(node: CompiledNode, inputs: Record<string, unknown>, secret: (name: string) => Promise<string | undefined>, sensitive: Set<string>): Promise<Record<string, unknown>> {
  const resolved = { ...inputs };
  for (const port of node.secretPorts) if (!node.incoming.has(port)) resolved[port] = await resolveSecretRefs(inputs[port], secret, sensitive);
  return resolved;
}

/**
 * Adds to `sensitive` what `node` handled that must never be recorded: its secrets' values and
 * what its type declares. After every attempt, as a replayed attempt's work (where the secrets
 * were resolved) did not run again.
 */
async function noteSensitive(node: CompiledNode, inputs: Record<string, unknown>, outputs: NodeOutputs | undefined, secret: FlowServices['secret'], sensitive: Set<string>): Promise<void> {
  if (node.secretPorts.length > 0) await withSecrets(node, inputs, secret, sensitive).catch(() => undefined);
  for (const value of node.nodeType.sensitiveValues?.(inputs, outputs) ?? []) if (typeof value === 'string') sensitive.add(value);
}

/**
 * Adds to `sensitive` what `outputs` hand on to inputs that their consumers declare sensitive (a
 * header built upstream for an HttpRequestNode, a lockId from an execution's input), before the
 * outputs are recorded.
 */
function noteHandedOn(flow: CompiledFlow, node: CompiledNode, outputs: NodeOutputs, sensitive: Set<string>): void {
  for (const consumer of flow.successors.get(node.id) ?? []) {
    if (!consumer.nodeType.sensitiveValues) continue;
    for (const [port, edges] of consumer.incoming) {
      for (const edge of edges) {
        if (edge.from.nodeId !== node.id || !Object.hasOwn(outputs, edge.from.port)) continue;
        for (const value of consumer.nodeType.sensitiveValues({ [port]: outputs[edge.from.port] }, undefined)) if (typeof value === 'string') sensitive.add(value);
      }
    }
  }
}

/** Keeps the outputs the node type declares; a node may leave some out (they stay unresolved). */
function declaredOutputs(node: CompiledNode, outputs: NodeOutputs): NodeOutputs {
  const kept: NodeOutputs = {};
  for (const port of Object.keys(node.nodeType.outputs)) if (Object.hasOwn(outputs, port)) kept[port] = outputs[port] ?? null;
  return kept;
}

function reasonText(reason: unknown, fallback: string): string {
  if (reason instanceof Error) return reason.message || fallback;
  return typeof reason === 'string' && reason !== '' ? reason : fallback;
}

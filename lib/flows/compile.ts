import { ValidationError, type FieldProblem } from '../errors.js';
import { parseInput } from '../validation.js';
import { isSecretRef, SECRET_NAME_PATTERN, secretRefsIn } from './secrets.js';
import { flowDefinitionSchema, type FlowDefinition, type RetrierSpec } from './definition.js';
import type { NodeRegistry } from './nodes/registry.js';
import type { NodeType } from './nodes/types.js';
import { ERROR_PORTS, isAssignable, SYSTEM_INPUTS, SYSTEM_OUTPUTS, typeOfValue, type PortSpec } from './ports.js';

export interface PortRef {
  nodeId: string;
  port: string;
}

export interface CompiledEdge {
  index: number;
  from: PortRef;
  to: PortRef;
}

export interface CompiledNode {
  id: string;
  nodeType: NodeType;
  /** Position in the deterministic topological order. */
  order: number;
  staticInputs: Record<string, unknown>;
  timeoutMs: number | undefined;
  /** Edges into each connected input port, in declaration order. */
  incoming: Map<string, CompiledEdge[]>;
  /** Whether a failure of this node is handled (one of its error ports is wired). */
  errorHandled: boolean;
  /** The node's retry policy with every default filled in; empty when it has none. */
  retry: Retrier[];
  /** Static input ports holding `{"$secret": name}` references, resolved when the node runs. */
  secretPorts: string[];
  /** Recomputed on replay rather than checkpointed (NodeType.isPure). */
  pure: boolean;
}

/** One retrier of a retry policy, defaults applied. */
export interface Retrier {
  /** Error types it handles; `*` matches every type. */
  on: string[];
  /** Retries after the first attempt. */
  maxAttempts: number;
  /** Delay before the first retry. */
  intervalMs: number;
  /** Multiplier of the delay per retry. */
  backoffRate: number;
  /** Cap on one delay, if any. */
  maxDelayMs: number | undefined;
  /** `full`: each delay is drawn uniformly from [0, computed]. */
  jitter: 'none' | 'full';
}

const retrierOf = (spec: RetrierSpec): Retrier => ({
  on: spec.on ?? ['*'],
  maxAttempts: spec.maxAttempts ?? 3,
  intervalMs: spec.intervalMs ?? 1_000,
  backoffRate: spec.backoffRate ?? 2,
  maxDelayMs: spec.maxDelayMs,
  jitter: spec.jitter ?? 'none',
});

/** A flow checked and ready to run: nodes in topological order. */
export interface CompiledFlow {
  definition: FlowDefinition;
  nodes: CompiledNode[];
  byId: Map<string, CompiledNode>;
  /** The nodes fed by each node, in topological order. */
  successors: Map<string, CompiledNode[]>;
  /** The FlowOutputNode, if the flow has one. */
  outputNodeId: string | undefined;
  timeoutMs: number | undefined;
}

export const EDGE_ENDPOINT = /^([A-Za-z0-9_-]{1,128})\.([A-Za-z0-9_]{1,128})$/;

export const inputPortsOf = (nodeType: NodeType): Record<string, PortSpec> => ({ ...SYSTEM_INPUTS, ...nodeType.inputs });
export const outputPortsOf = (nodeType: NodeType): Record<string, PortSpec> => ({ ...SYSTEM_OUTPUTS, ...nodeType.outputs });

/**
 * Checks a flow definition completely and lists every problem at once, each naming its node,
 * port or edge: structure, unknown node types and ports, static values of the wrong type, edge
 * type mismatches, duplicate ids, cycles, required inputs with no source, more than one
 * FlowOutputNode. A flow that compiles never fails at run time for a reason visible here.
 */
export function compileFlow(input: unknown, registry: NodeRegistry): CompiledFlow {
  const definition = parseInput(flowDefinitionSchema, input);
  const problems: FieldProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });

  const byId = new Map<string, CompiledNode>();
  const seenIds = new Set<string>();
  definition.nodes.forEach((spec, index) => {
    const field = `nodes[${index}]`;
    if (seenIds.has(spec.id)) return problem(`${field}.id`, `duplicate node id "${spec.id}"`);
    seenIds.add(spec.id);
    const nodeType = registry.get(spec.type);
    if (!nodeType) return problem(`${field}.type`, `unknown node type "${spec.type}" (known: ${registry.names().join(', ')})`);
    const staticInputs = spec.inputs ?? {};
    const inputPorts = inputPortsOf(nodeType);
    for (const [port, value] of Object.entries(staticInputs)) {
      const portSpec = inputPorts[port];
      if (!portSpec) problem(`${field}.inputs.${port}`, `${spec.type} has no input port "${port}"`);
      else if (!isAssignable(isSecretRef(value) ? 'string' : typeOfValue(value), portSpec.type)) problem(`${field}.inputs.${port}`, `must be ${article(portSpec.type)}`);
      for (const { path, ref } of secretRefsIn(value)) {
        if (typeof ref.$secret !== 'string' || !SECRET_NAME_PATTERN.test(ref.$secret)) {
          problem(`${field}.inputs.${port}${path === '' ? '' : `.${path}`}.$secret`, 'must be a secret name matching [A-Za-z0-9_/-]{1,256}');
        }
      }
    }
    for (const found of nodeType.validateStatic?.(staticInputs) ?? []) problem(`${field}.inputs.${found.port}`, found.message);
    if (nodeType.runsAlone && spec.timeoutMs !== undefined) {
      problem(`${field}.timeoutMs`, `${spec.type} takes no timeoutMs: its durable waits cannot be cut short; bound them in the node (WaitForSignalNode's timeoutMs input) or in the child flow (its timeoutMs)`);
    }
    byId.set(spec.id, { id: spec.id, nodeType, order: -1, staticInputs, timeoutMs: spec.timeoutMs, incoming: new Map(), errorHandled: false, retry: (spec.retry ?? []).map(retrierOf), secretPorts: Object.keys(staticInputs).filter((port) => secretRefsIn(staticInputs[port]).length > 0), pure: false });
  });

  const edges: CompiledEdge[] = [];
  const successors = new Map<string, Set<string>>();
  definition.edges.forEach((spec, index) => {
    const field = `edges[${index}]`;
    const from = endpoint(spec.from, `${field}.from`, 'output', byId, problem);
    const to = endpoint(spec.to, `${field}.to`, 'input', byId, problem);
    if (!from || !to) return;
    if (!isAssignable(from.spec.type, to.spec.type)) {
      return problem(field, `${from.spec.type} output ${spec.from} cannot feed ${to.spec.type} input ${spec.to}`);
    }
    const edge: CompiledEdge = { index, from: from.ref, to: to.ref };
    edges.push(edge);
    const target = byId.get(to.ref.nodeId);
    const source = byId.get(from.ref.nodeId);
    if (!target || !source) return;
    const into = target.incoming.get(to.ref.port);
    if (into) into.push(edge);
    else target.incoming.set(to.ref.port, [edge]);
    if (ERROR_PORTS.includes(from.ref.port)) source.errorHandled = true;
    const next = successors.get(from.ref.nodeId) ?? new Set<string>();
    next.add(to.ref.nodeId);
    successors.set(from.ref.nodeId, next);
  });

  definition.nodes.forEach((spec, index) => {
    const node = byId.get(spec.id);
    if (!node || node.nodeType !== registry.get(spec.type)) return;
    for (const [port, portSpec] of Object.entries(node.nodeType.inputs)) {
      const hasSource = node.incoming.has(port) || port in node.staticInputs || portSpec.default !== undefined;
      if (portSpec.required && !hasSource) problem(`nodes[${index}].inputs.${port}`, `required input of ${spec.id} has no edge, value or default`);
    }
  });

  const outputs = [...byId.values()].filter((node) => node.nodeType.type === 'FlowOutputNode');
  if (outputs.length > 1) problem('nodes', `more than one FlowOutputNode (${outputs.map((node) => node.id).join(', ')})`);

  const order = topologicalOrder([...byId.keys()], successors);
  if (order.cycle.length > 0) problem('edges', `cycle through nodes ${order.cycle.join(', ')}`);

  if (problems.length > 0) throw new ValidationError(problems);
  const nodes = order.sorted.map((id, position) => {
    const node = byId.get(id) as CompiledNode;
    node.order = position;
    node.pure = node.secretPorts.length === 0 && (node.nodeType.isPure?.(node.staticInputs, new Set(node.incoming.keys())) ?? false);
    return node;
  });
  const successorNodes = new Map(
    nodes.map((node) => [node.id, [...(successors.get(node.id) ?? [])].map((id) => byId.get(id) as CompiledNode).sort((a, b) => a.order - b.order)]),
  );
  return { definition, nodes, byId, successors: successorNodes, outputNodeId: outputs[0]?.id, timeoutMs: definition.timeoutMs };
}

function endpoint(
  text: string,
  field: string,
  direction: 'input' | 'output',
  byId: Map<string, CompiledNode>,
  problem: (field: string, message: string) => void,
): { ref: PortRef; spec: PortSpec } | undefined {
  const match = EDGE_ENDPOINT.exec(text);
  if (!match) {
    problem(field, `"${text}" must be "<nodeId>.<port>"`);
    return undefined;
  }
  const [, nodeId = '', port = ''] = match;
  const node = byId.get(nodeId);
  if (!node) {
    problem(field, `unknown node "${nodeId}"`);
    return undefined;
  }
  const spec = (direction === 'input' ? inputPortsOf(node.nodeType) : outputPortsOf(node.nodeType))[port];
  if (!spec) {
    problem(field, `${node.nodeType.type} ${nodeId} has no ${direction} port "${port}"`);
    return undefined;
  }
  return { ref: { nodeId, port }, spec };
}

/** Kahn's algorithm; ties go to declaration order so every run starts nodes in the same order. */
function topologicalOrder(ids: string[], successors: Map<string, Set<string>>): { sorted: string[]; cycle: string[] } {
  const position = new Map(ids.map((id, index) => [id, index]));
  const indegree = new Map(ids.map((id) => [id, 0]));
  for (const targets of successors.values()) for (const target of targets) indegree.set(target, (indegree.get(target) ?? 0) + 1);
  const ready = ids.filter((id) => indegree.get(id) === 0);
  const sorted: string[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
    const id = ready.shift() as string;
    sorted.push(id);
    for (const target of successors.get(id) ?? []) {
      const remaining = (indegree.get(target) ?? 0) - 1;
      indegree.set(target, remaining);
      if (remaining === 0) ready.push(target);
    }
  }
  const done = new Set(sorted);
  return { sorted, cycle: ids.filter((id) => !done.has(id)) };
}

function article(type: string): string {
  return type === 'any' ? 'any value' : `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

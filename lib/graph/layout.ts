import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { FlowDefinition } from '../flows/definition.js';
import { EXECUTE_PORT, SYSTEM_OUTPUTS } from '../flows/ports.js';

// A flow definition laid out left to right with ELK's layered algorithm, ports fixed on the sides
// of their node. It runs in the browser (the console) and in Node (the command line's `graph`);
// elkjs is loaded on first use, so the console's first view does not wait for it.

/** The port names of each node type (`portCatalog()` reads them from the node types). */
export type PortCatalog = Record<string, { inputs: string[]; outputs: string[] }>;

export interface GraphPort {
  name: string;
  /** The port's anchor, relative to its node's top left corner. */
  x: number;
  y: number;
}

export interface GraphNode {
  id: string;
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  inputs: GraphPort[];
  outputs: GraphPort[];
}

export interface GraphEdge {
  /** `<from>-><to>`, e.g. `in.value->shape.input`. */
  id: string;
  from: string;
  to: string;
  /** The route from the output port to the input port, absolute. */
  points: Array<{ x: number; y: number }>;
}

export interface FlowLayout {
  width: number;
  height: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** Sizes the drawing uses; text is measured by a fixed width per character so that Node and browsers agree. */
export const GRAPH_METRICS = {
  headerHeight: 50,
  portRowHeight: 20,
  paddingBottom: 8,
  minWidth: 168,
  titleCharWidth: 7.8,
  portCharWidth: 6.6,
  portGap: 28,
  sidePadding: 14,
  stateChars: 12,
} as const;

/**
 * Which ports a node shows: its type's own ports, and the system ports (`__execute`,
 * `__success`, `__error`, …) only where an edge uses them: every node has them, and drawing them
 * all would bury the flow's own wiring.
 */
export function nodePorts(definition: FlowDefinition, catalog: PortCatalog): Map<string, { inputs: string[]; outputs: string[] }> {
  const ports = new Map<string, { inputs: string[]; outputs: string[] }>();
  for (const node of definition.nodes) {
    const known = catalog[node.type];
    ports.set(node.id, { inputs: [...(known?.inputs ?? [])], outputs: [...(known?.outputs ?? [])] });
  }
  const add = (list: string[], port: string, systemFirst: boolean) => {
    if (list.includes(port)) return;
    if (systemFirst) list.unshift(port);
    else list.push(port);
  };
  for (const edge of definition.edges) {
    const from = splitEndpoint(edge.from);
    const to = splitEndpoint(edge.to);
    const source = ports.get(from.nodeId);
    const target = ports.get(to.nodeId);
    if (source) add(source.outputs, from.port, false);
    if (target) add(target.inputs, to.port, to.port === EXECUTE_PORT);
  }
  // System outputs after the node's own, in their fixed order.
  const systemOrder = Object.keys(SYSTEM_OUTPUTS);
  for (const entry of ports.values()) {
    const own = entry.outputs.filter((port) => !systemOrder.includes(port));
    entry.outputs = [...own, ...systemOrder.filter((port) => entry.outputs.includes(port))];
  }
  return ports;
}

/** `"node.port"` → its parts (node ids hold no dots; a port name may). */
export function splitEndpoint(endpoint: string): { nodeId: string; port: string } {
  const dot = endpoint.indexOf('.');
  return dot < 0 ? { nodeId: endpoint, port: '' } : { nodeId: endpoint.slice(0, dot), port: endpoint.slice(dot + 1) };
}

export const edgeId = (edge: { from: string; to: string }): string => `${edge.from}->${edge.to}`;

/** Space around the drawing. */
const PADDING = 24;

const portKey = (side: 'in' | 'out', nodeId: string, port: string) => `${side}:${nodeId}.${port}`;

function nodeSize(id: string, type: string, inputs: string[], outputs: string[]): { width: number; height: number } {
  const m = GRAPH_METRICS;
  const longest = (names: string[]) => names.reduce((max, name) => Math.max(max, name.length), 0);
  // The second line holds the type and, in an execution, the state (`completed`, `retrying (2)`, `running 3/10`: 12 characters).
  const title = Math.max(id.length * m.titleCharWidth, (type.length + m.stateChars) * m.portCharWidth + m.sidePadding) + 2 * m.sidePadding;
  const ports = (longest(inputs) + longest(outputs)) * m.portCharWidth + m.portGap + 2 * m.sidePadding;
  const rows = Math.max(inputs.length, outputs.length, 1);
  return { width: Math.ceil(Math.max(m.minWidth, title, ports)), height: m.headerHeight + rows * m.portRowHeight + m.paddingBottom };
}

const portY = (index: number) => GRAPH_METRICS.headerHeight + index * GRAPH_METRICS.portRowHeight + GRAPH_METRICS.portRowHeight / 2;

type Elk = { layout(graph: ElkNode): Promise<ElkNode> };
let elk: Promise<Elk> | undefined;

/** ELK, loaded on first use (about 1.6 MB of code the console's first view does not need). */
function loadElk(): Promise<Elk> {
  elk ??= import('elkjs/lib/elk.bundled.js').then((module) => {
    const Elk = module.default as unknown as new () => Elk;
    return new Elk();
  });
  return elk;
}

/** Starts loading ELK before the first layout needs it (the console does while it fetches the flow). */
export function preloadLayout(): void {
  loadElk().catch(() => undefined);
}

/** Positions every node, port and edge of `definition`, left to right. */
export async function layoutFlow(definition: FlowDefinition, catalog: PortCatalog): Promise<FlowLayout> {
  const ports = nodePorts(definition, catalog);
  const nodes: GraphNode[] = definition.nodes.map((node) => {
    const { inputs, outputs } = ports.get(node.id)!;
    const size = nodeSize(node.id, node.type, inputs, outputs);
    return {
      id: node.id,
      type: node.type,
      x: 0,
      y: 0,
      ...size,
      inputs: inputs.map((name, index) => ({ name, x: 0, y: portY(index) })),
      outputs: outputs.map((name, index) => ({ name, x: size.width, y: portY(index) })),
    };
  });
  const known = new Set(nodes.map((node) => node.id));
  const drawable = definition.edges.filter((edge) => known.has(splitEndpoint(edge.from).nodeId) && known.has(splitEndpoint(edge.to).nodeId));
  const graph: ElkNode = {
    id: 'flow',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.spacing.nodeNodeBetweenLayers': '64',
      'elk.spacing.nodeNode': '28',
      'elk.layered.spacing.edgeNodeBetweenLayers': '16',
      'elk.spacing.edgeEdge': '8',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      // Fewer crossing-minimisation passes for big flows: the layout of 300 nodes stays well under a second.
      'elk.layered.thoroughness': definition.nodes.length > 100 ? '1' : '3',
      'elk.padding': `[top=${PADDING},left=${PADDING},bottom=${PADDING},right=${PADDING}]`,
    },
    children: nodes.map((node) => ({
      id: node.id,
      width: node.width,
      height: node.height,
      layoutOptions: { 'elk.portConstraints': 'FIXED_POS' },
      ports: [
        ...node.inputs.map((port) => ({ id: portKey('in', node.id, port.name), x: -1, y: port.y - 1, width: 2, height: 2, layoutOptions: { 'elk.port.side': 'WEST' } })),
        ...node.outputs.map((port) => ({ id: portKey('out', node.id, port.name), x: node.width - 1, y: port.y - 1, width: 2, height: 2, layoutOptions: { 'elk.port.side': 'EAST' } })),
      ],
    })),
    edges: drawable.map((edge): ElkExtendedEdge => {
      const from = splitEndpoint(edge.from);
      const to = splitEndpoint(edge.to);
      return { id: edgeId(edge), sources: [portKey('out', from.nodeId, from.port)], targets: [portKey('in', to.nodeId, to.port)] };
    }),
  };
  const laidOut = await (await loadElk()).layout(graph);
  const placed = new Map((laidOut.children ?? []).map((child) => [child.id, child]));
  for (const node of nodes) {
    const child = placed.get(node.id);
    node.x = Math.round(child?.x ?? 0);
    node.y = Math.round(child?.y ?? 0);
  }
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const anchor = (side: 'in' | 'out', endpoint: string) => {
    const { nodeId, port } = splitEndpoint(endpoint);
    const node = byId.get(nodeId)!;
    const found = (side === 'in' ? node.inputs : node.outputs).find((candidate) => candidate.name === port);
    return { x: node.x + (found?.x ?? 0), y: node.y + (found?.y ?? 0) };
  };
  const routes = new Map((laidOut.edges ?? []).map((edge) => [edge.id, (edge as ElkExtendedEdge).sections?.[0]]));
  const edges: GraphEdge[] = drawable.map((edge) => {
    const section = routes.get(edgeId(edge));
    const bends = (section?.bendPoints ?? []).map((point) => ({ x: Math.round(point.x), y: Math.round(point.y) }));
    return { id: edgeId(edge), from: edge.from, to: edge.to, points: [anchor('out', edge.from), ...bends, anchor('in', edge.to)] };
  });
  // The drawing's size from what is drawn (ELK's own figure can leave out a packed component's edge).
  const points = [...nodes.map((node) => ({ x: node.x + node.width, y: node.y + node.height })), ...edges.flatMap((edge) => edge.points)];
  const width = Math.ceil(Math.max(0, ...points.map((point) => point.x)) + PADDING);
  const height = Math.ceil(Math.max(0, ...points.map((point) => point.y)) + PADDING);
  return { width, height, nodes, edges };
}

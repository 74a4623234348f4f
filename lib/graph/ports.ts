import { BUILT_IN_NODE_TYPES } from '../flows/nodes/registry.js';
import type { NodeType } from '../flows/nodes/types.js';
import type { PortCatalog } from './layout.js';

/**
 * The port names of each node type, as the layout draws them. Read from the node types
 * themselves; the console gets this catalog at build time, the command line at run time.
 */
export function portCatalog(nodeTypes: readonly NodeType[] = BUILT_IN_NODE_TYPES): PortCatalog {
  return Object.fromEntries(nodeTypes.map((nodeType) => [nodeType.type, { inputs: Object.keys(nodeType.inputs), outputs: Object.keys(nodeType.outputs) }]));
}

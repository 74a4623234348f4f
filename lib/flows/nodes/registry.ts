import { BranchNode } from './BranchNode.js';
import { FailNode } from './FailNode.js';
import { FFDBLockAcquireNode } from './FFDBLockAcquireNode.js';
import { FFDBLockReleaseNode } from './FFDBLockReleaseNode.js';
import { FlowInputNode } from './FlowInputNode.js';
import { FlowOutputNode } from './FlowOutputNode.js';
import { ForEachNode } from './ForEachNode.js';
import { HttpRequestNode } from './HttpRequestNode.js';
import { LambdaInvokeNode } from './LambdaInvokeNode.js';
import { SleepNode } from './SleepNode.js';
import { SubflowNode } from './SubflowNode.js';
import { TransformNode } from './TransformNode.js';
import type { NodeType } from './types.js';
import { WaitForSignalNode } from './WaitForSignalNode.js';

export const BUILT_IN_NODE_TYPES: readonly NodeType[] = [
  FlowInputNode,
  FlowOutputNode,
  TransformNode,
  BranchNode,
  SleepNode,
  FailNode,
  HttpRequestNode,
  LambdaInvokeNode,
  SubflowNode,
  FFDBLockAcquireNode,
  FFDBLockReleaseNode,
  WaitForSignalNode,
  ForEachNode,
];

/** The node types a flow may use, by name. */
export class NodeRegistry {
  private readonly types = new Map<string, NodeType>();

  constructor(nodeTypes: readonly NodeType[] = BUILT_IN_NODE_TYPES) {
    for (const nodeType of nodeTypes) {
      if (this.types.has(nodeType.type)) throw new TypeError(`node type ${nodeType.type} is registered twice`);
      this.types.set(nodeType.type, nodeType);
    }
  }

  get(type: string): NodeType | undefined {
    return this.types.get(type);
  }

  names(): string[] {
    return [...this.types.keys()];
  }
}

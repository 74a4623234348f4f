import { NotFoundError } from '../errors.js';
import { parseInput } from '../validation.js';
import type { CompiledFlow } from './compile.js';
import { flowIdSchema } from './ids.js';
import type { NodeRegistry } from './nodes/registry.js';
import type { FlowSummary, PostgresFlowStore, StoredFlow } from './PostgresFlowStore.js';

/** Compiled versions kept per process; versions never change, so entries never go stale. */
const COMPILED_LIMIT = 1_000;

/**
 * The flows callers save and executions run: every definition is compiled (validated completely)
 * before it is stored, and the versions executions pin are compiled once per process. The node
 * registry and the compiler load on first use, so a Lambda that only starts or reads executions
 * never loads the node types (JSONata among them).
 */
export class FlowCatalog {
  private registryLoaded: Promise<NodeRegistry> | undefined;
  private readonly compiled = new Map<string, Promise<CompiledFlow>>();

  constructor(
    private readonly store: PostgresFlowStore,
    private readonly registry?: NodeRegistry,
  ) {}

  /** Validates the id and the definition (a ValidationError lists every problem), then stores it. */
  async save(flowId: string, definition: unknown): Promise<{ flowId: string; version: number }> {
    parseInput(flowIdSchema, flowId, 'flowId');
    const compiled = await this.compile(definition);
    return this.store.save(flowId, compiled.definition);
  }

  /** The newest version, or the one named. */
  async get(flowId: string, version?: number): Promise<StoredFlow> {
    const flow = await this.store.get(flowId, version);
    if (!flow) throw new NotFoundError(version === undefined ? `flow ${flowId} does not exist` : `flow ${flowId} version ${version} does not exist`);
    return flow;
  }

  list(): Promise<FlowSummary[]> {
    return this.store.list();
  }

  /** A stored version, compiled. */
  compiledVersion(flowId: string, version: number): Promise<CompiledFlow> {
    const key = `${flowId}@${version}`;
    let flow = this.compiled.get(key);
    if (!flow) {
      flow = this.store.get(flowId, version).then((stored) => {
        if (!stored) throw new NotFoundError(`flow ${flowId} version ${version} does not exist`);
        return this.compile(stored.definition);
      });
      // A failed read is not kept: the next run of the version reads it again.
      flow.catch(() => this.compiled.delete(key));
      if (this.compiled.size >= COMPILED_LIMIT) this.compiled.clear();
      this.compiled.set(key, flow);
    }
    return flow;
  }

  private async compile(definition: unknown): Promise<CompiledFlow> {
    this.registryLoaded ??= this.registry
      ? Promise.resolve(this.registry)
      : import('./nodes/registry.js').then(({ NodeRegistry }) => new NodeRegistry());
    const [{ compileFlow }, registry] = await Promise.all([import('./compile.js'), this.registryLoaded]);
    return compileFlow(definition, registry);
  }
}

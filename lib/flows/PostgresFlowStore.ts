import { createHash } from 'node:crypto';
import type { Queryable } from '../db.js';
import type { FlowDefinition } from './definition.js';

export interface StoredFlow {
  flowId: string;
  version: number;
  name: string | null;
  definition: FlowDefinition;
}

export interface FlowSummary {
  flowId: string;
  version: number;
  name: string | null;
}

const flowSql = {
  /** Saves definition $3 (hash $4) of flow $1 named $2; answers the version it is stored as. */
  save: `SELECT fireflow_flow_save($1, $2, $3::jsonb, $4) AS version`,
  get: `
    SELECT v.flow_id, v.version, f.name, v.definition FROM fireflow_flows f
      JOIN fireflow_flow_versions v ON v.flow_id = f.flow_id AND v.version = coalesce($2, f.latest_version)
     WHERE f.flow_id = $1`,
  list: `SELECT flow_id, latest_version, name FROM fireflow_flows WHERE latest_version > 0 ORDER BY flow_id LIMIT $1`,
} as const;

/** JSON with object keys sorted, so equal content always hashes alike (and compares alike). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Versioned flow definitions. Callers validate definitions (compileFlow) before saving. */
export class PostgresFlowStore {
  constructor(private readonly pool: Queryable) {}

  /** Saves a definition: identical content keeps the current version, anything else adds the next one. */
  async save(flowId: string, definition: FlowDefinition): Promise<{ flowId: string; version: number }> {
    const hash = createHash('sha256').update(canonicalJson(definition)).digest('hex');
    const result = await this.pool.query<{ version: number }>(flowSql.save, [flowId, definition.name ?? null, JSON.stringify(definition), hash]);
    return { flowId, version: result.rows[0]?.version as number };
  }

  /** The given version, or the newest when `version` is omitted. */
  async get(flowId: string, version?: number): Promise<StoredFlow | undefined> {
    const result = await this.pool.query<{ flow_id: string; version: number; name: string | null; definition: FlowDefinition }>(flowSql.get, [
      flowId,
      version ?? null,
    ]);
    const row = result.rows[0];
    return row && { flowId: row.flow_id, version: row.version, name: row.name, definition: row.definition };
  }

  async list(limit = 1_000): Promise<FlowSummary[]> {
    const result = await this.pool.query<{ flow_id: string; latest_version: number; name: string | null }>(flowSql.list, [limit]);
    return result.rows.map((row) => ({ flowId: row.flow_id, version: row.latest_version, name: row.name }));
  }
}

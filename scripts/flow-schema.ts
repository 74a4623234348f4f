import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { flowJsonSchema } from '../lib/flows/flowJsonSchema.js';
import { NodeRegistry } from '../lib/flows/nodes/registry.js';

// Writes docs/flow.schema.json from the flow definition schema and the node registry
// (npm run flow-schema; test/flow-schema.test.ts fails when the file is out of date).
export const FLOW_SCHEMA_FILE = path.resolve(import.meta.dirname, '..', 'docs', 'flow.schema.json');
export const flowSchemaText = (): string => `${JSON.stringify(flowJsonSchema(new NodeRegistry()), null, 2)}\n`;

if (process.argv[1] === import.meta.filename) await writeFile(FLOW_SCHEMA_FILE, flowSchemaText());

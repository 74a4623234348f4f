import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ValidationError, type FieldProblem } from '../lib/errors.js';
import { compileFlow } from '../lib/flows/compile.js';
import type { FlowDefinition } from '../lib/flows/definition.js';
import { FLOW_ID_PATTERN, ID_PROBLEM } from '../lib/flows/ids.js';
import { NodeRegistry } from '../lib/flows/nodes/registry.js';
import { CliError, EXIT } from './errors.js';
import { FLOW_FILE_SUFFIX, flowIdOfFile } from './flowFileNames.js';

/** A flow file read and checked by the same compiler the API saves with. */
export interface CheckedFlowFile {
  /** The path as the user gave it (joined with the folder's when found in one). */
  file: string;
  flowId: string;
  /** The definition as the API stores it (`"$schema"` dropped, defaults filled in); absent when it has problems. */
  definition?: FlowDefinition;
  /** Every problem, `field` as in `nodes[2].inputs.url` (`parse error` for a file that is not JSON). */
  problems: FieldProblem[];
}

/**
 * The flow files under `paths`: a file as given, a folder's `*.flow.json` files (its subfolders'
 * too), in a stable order. A path that does not exist is a usage error.
 */
export async function flowFilesIn(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const given of paths) {
    const found = await stat(given).catch(() => undefined);
    if (!found) throw new CliError(`${given}: no such file or folder`, EXIT.usage);
    if (!found.isDirectory()) {
      files.push(given);
      continue;
    }
    const entries = await readdir(given, { recursive: true });
    const inFolder = entries.filter((entry) => entry.endsWith(FLOW_FILE_SUFFIX)).sort();
    if (inFolder.length === 0) throw new CliError(`${given}: no *${FLOW_FILE_SUFFIX} files in this folder`, EXIT.usage);
    files.push(...inFolder.map((entry) => path.join(given, entry)));
  }
  return files;
}

let registry: NodeRegistry | undefined;

/** Reads one flow file and compiles it offline, as `PUT /flows/{flowId}` would. */
export async function checkFlowFile(file: string): Promise<CheckedFlowFile> {
  const flowId = flowIdOfFile(file);
  const problems: FieldProblem[] = FLOW_ID_PATTERN.test(flowId) ? [] : [{ field: 'flowId', message: `the file name gives "${flowId}", which ${ID_PROBLEM}` }];
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ? `cannot read: ${(error as Error).message}` : (error as Error).message;
    return { file, flowId, problems: [{ field: 'parse error', message: reason }] };
  }
  // `"$schema"` names the JSON Schema for editors; it is no part of the flow.
  const definition = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? Object.fromEntries(Object.entries(parsed).filter(([key]) => key !== '$schema')) : parsed;
  try {
    registry ??= new NodeRegistry();
    const compiled = compileFlow(definition, registry);
    return problems.length > 0 ? { file, flowId, problems } : { file, flowId, definition: compiled.definition, problems };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return { file, flowId, problems: [...problems, ...(error.details ?? [])] };
  }
}

/** A problem as the command line prints it: `<file>: <field>: <message>`. */
export const problemLine = (file: string, problem: FieldProblem): string => `${file}: ${problem.field}: ${problem.message}`;

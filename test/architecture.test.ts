import { readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cycles, importGraph, sourceFiles } from '../devtools/importGraph.js';

// The layout of lib/, handlers/ and cli/, checked on the module graph esbuild resolves (`npm run deps`
// draws it). Lower layers never import higher ones; the two sides of executions never import
// each other; handlers reach the domain only through the control side and lib/lambda.

/** Layers from the bottom up: a file may import its own layer and those below it. */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['lib/errors.ts', 'lib/time.ts', 'lib/validation.ts', 'lib/config.ts', 'lib/logger.ts', 'lib/databaseSecret.ts', 'lib/db.ts', 'lib/shutdown.ts', 'lib/migrate.ts', 'lib/limits.ts'],
  ['lib/locks/', 'lib/aws/', 'lib/http/', 'lib/expressions/'],
  ['lib/flows/'],
  // lib/graph: flows drawn (layout, SVG, node states from events); the console and the CLI use it.
  ['lib/engine/', 'lib/graph/'],
  ['lib/executions/'],
  ['lib/worker/', 'lib/client/', 'lib/lambda/'],
  ['lib/index.ts'],
  ['handlers/'],
  // The command line: a client of the API, beside the handlers.
  ['cli/'],
];

const layerOf = (file: string): number => {
  const layer = LAYERS.findIndex((members) => members.some((member) => (member.endsWith('/') ? file.startsWith(member) : file === member)));
  if (layer < 0) throw new Error(`${file} is in no layer: add it to LAYERS`);
  return layer;
};

/** Who may read the environment: the composition roots, and public constructors' documented fallbacks. */
const READS_CONFIG = new Set([
  'lib/lambda/services.ts',
  'lib/lambda/executions.ts',
  'lib/worker/DBOSExecutionWorker.ts',
  'lib/locks/PostgresFlowLockService.ts',
  'lib/client/LambdaFlowLockService.ts',
  'lib/logger.ts',
  'lib/index.ts',
  'cli/main.ts',
]);

let graph: Map<string, string[]>;
const edges = () => [...graph].flatMap(([from, imports]) => imports.map((to) => ({ from, to })));

beforeAll(async () => {
  graph = await importGraph(sourceFiles('lib', 'handlers', 'cli'));
});

describe('the layout of lib/, handlers/ and cli/', () => {
  it('has no import cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('never imports upwards', () => {
    const upwards = edges().filter(({ from, to }) => layerOf(to) > layerOf(from));
    expect(upwards).toEqual([]);
  });

  it('keeps the control side and the run side of executions apart', () => {
    const across = edges().filter(
      ({ from, to }) =>
        (from.startsWith('lib/executions/control/') && to.startsWith('lib/executions/run/')) ||
        (from.startsWith('lib/executions/run/') && to.startsWith('lib/executions/control/')),
    );
    expect(across).toEqual([]);
  });

  it('lets handlers reach the domain only through the control side, lib/lambda and the lock service', () => {
    const allowed = ['lib/executions/control/', 'lib/lambda/', 'lib/locks/schemas.ts', 'lib/validation.ts', 'lib/db.ts', 'lib/errors.ts'];
    const reached = edges().filter(({ from, to }) => from.startsWith('handlers/') && !allowed.some((prefix) => to.startsWith(prefix)));
    expect(reached).toEqual([]);
  });

  it('keeps the command line a client: it reaches FireFlow through the API, never the database, the queue or the worker', () => {
    const inside = ['lib/db.ts', 'lib/lambda/', 'lib/worker/', 'lib/executions/run/', 'lib/executions/control/ExecutionQueue.ts', 'lib/executions/PostgresExecutionStore.ts', 'lib/locks/', 'handlers/'];
    const reached = edges().filter(({ from, to }) => from.startsWith('cli/') && inside.some((prefix) => to.startsWith(prefix)));
    expect(reached).toEqual([]);
  });

  it('reads the configuration only in composition roots and documented defaults', () => {
    const readers = edges().filter(({ to }) => to === 'lib/config.ts').map(({ from }) => from);
    expect(readers.filter((reader) => !READS_CONFIG.has(reader))).toEqual([]);
  });
});

describe('the web console (console/src)', () => {
  it('reaches the rest of the project only through the browser-safe part of lib/graph', async () => {
    const sources = readdirSync(path.resolve(import.meta.dirname, '..', 'console', 'src'), { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.tsx?$/.test(file) && !file.endsWith('.d.ts'))
      .map((file) => path.posix.join('console/src', file.split(path.sep).join('/')));
    const consoleGraph = await importGraph(sources);
    const outside = [...consoleGraph]
      .flatMap(([from, imports]) => imports.map((to) => ({ from, to })))
      .filter(({ to }) => !to.startsWith('console/src/') && !/^lib\/graph\/(layout|svg|states)\.ts$/.test(to) && to !== 'lib/flows/ports.ts');
    expect(outside).toEqual([]);
  });
});

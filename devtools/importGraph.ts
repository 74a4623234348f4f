import { readdirSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';

const projectRoot = path.resolve(import.meta.dirname, '..');

/** Every TypeScript file under `folders` (relative to the project), sorted. */
export function sourceFiles(...folders: string[]): string[] {
  return folders
    .flatMap((folder) => readdirSync(path.join(projectRoot, folder), { recursive: true, encoding: 'utf8' }).map((file) => path.posix.join(folder, file.split(path.sep).join('/'))))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .sort();
}

/**
 * The project's module graph, as esbuild resolves it: each file (relative to the project) with
 * the project files it imports, statically or with import(). Packages are left out.
 */
export async function importGraph(entryPoints: string[]): Promise<Map<string, string[]>> {
  const result = await esbuild.build({
    absWorkingDir: projectRoot,
    entryPoints,
    bundle: true,
    write: false,
    metafile: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    outdir: 'out',
    logLevel: 'silent',
  });
  const graph = new Map<string, string[]>();
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    graph.set(
      file,
      input.imports.filter((imported) => !imported.external).map((imported) => imported.path),
    );
  }
  return graph;
}

/**
 * The part of the layout a file belongs to: its folder (`lib/executions/control/x.ts` →
 * `lib/executions/control`), but the library's index, which imports everything, on its own.
 */
export const folderOf = (file: string): string => (file === 'lib/index.ts' ? file : path.posix.dirname(file));

/** Every cycle of the graph, each as the files on it (strongly connected components of more than one file, or a file importing itself). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
        onStack.delete(member);
        component.push(member);
        if (member === node) break;
      }
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

import { cycles, folderOf, importGraph, sourceFiles } from '../devtools/importGraph.js';

// `npm run deps`: the layout of lib/ and handlers/ drawn from their imports, folder by folder,
// and any import cycle. test/architecture.test.ts holds the rules this layout must keep.
const graph = await importGraph(sourceFiles('lib', 'handlers'));
const folders = new Map<string, Set<string>>();
for (const [file, imports] of graph) {
  const from = folderOf(file);
  const targets = folders.get(from) ?? new Set<string>();
  for (const imported of imports) if (folderOf(imported) !== from) targets.add(folderOf(imported));
  folders.set(from, targets);
}
for (const [folder, targets] of [...folders].sort(([a], [b]) => a.localeCompare(b))) {
  process.stdout.write(`${folder.padEnd(26)} → ${[...targets].sort().join(', ') || '(nothing of the project)'}\n`);
}
const found = cycles(graph);
process.stdout.write(found.length === 0 ? '\nno import cycles\n' : `\nimport cycles:\n${found.map((cycle) => `  ${cycle.join(' ↔ ')}`).join('\n')}\n`);
process.exitCode = found.length === 0 ? 0 : 1;

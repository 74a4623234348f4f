import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { expect, it } from 'vitest';

// The worker image (Dockerfile) bundles scripts/worker.ts and scripts/migrate.ts with every
// package left external, then installs production dependencies only. No Docker engine runs
// here, so this builds those bundles the same way and checks that every package they import,
// statically or on demand (`import()`), is a production dependency.

const root = path.resolve(import.meta.dirname, '..');

/** The package name of an import specifier: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

it.each(['scripts/worker.ts', 'scripts/migrate.ts'])('%s imports only production dependencies', async (entry) => {
  const { dependencies } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    write: false,
    outdir: 'dist',
    metafile: true,
    logLevel: 'silent',
  });
  const imported = new Set(
    Object.values(result.metafile.inputs)
      .flatMap((input) => input.imports)
      .filter((edge) => edge.external && !edge.path.startsWith('node:') && !builtinModules.includes(edge.path))
      .map((edge) => packageName(edge.path)),
  );
  expect(imported.size).toBeGreaterThan(0);
  expect([...imported].filter((name) => !(name in dependencies)).sort()).toEqual([]);
});

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { expect, it } from 'vitest';

// The worker image (Dockerfile) bundles scripts/worker.ts, the JSONata thread and scripts/migrate.ts with every
// package left external, then installs production dependencies only. No Docker engine runs
// here, so this builds those bundles the same way and checks that every package they import,
// statically or on demand (`import()`), is a production dependency.

const root = path.resolve(import.meta.dirname, '..');

/** The package name of an import specifier: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

it.each(['scripts/worker.ts', 'lib/expressions/expressionThread.ts', 'scripts/migrate.ts'])('%s imports only production dependencies', async (entry) => {
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

it('finds the JSONata thread beside a bundle, as the image lays them out', async () => {
  const outdir = await mkdtemp(path.join(root, '.image-test-'));
  try {
    const options = { absWorkingDir: root, bundle: true, platform: 'node', format: 'esm', target: 'node22', packages: 'external', logLevel: 'silent' } as const;
    await esbuild.build({ ...options, entryPoints: ['lib/expressions/expressionThread.ts'], outfile: path.join(outdir, 'expressionThread.mjs') });
    await esbuild.build({
      ...options,
      stdin: {
        contents: "import { ExpressionPool } from './lib/expressions/ExpressionPool.ts'; const pool = new ExpressionPool(); console.log(JSON.stringify(await pool.evaluate('$sum(a)', { a: [1, 2] }, { timeoutMs: 5000, maxDepth: 100, maxOutputBytes: 1000 }))); await pool.close();",
        resolveDir: root,
        loader: 'ts',
      },
      outfile: path.join(outdir, 'worker.mjs'),
    });
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(outdir, 'worker.mjs')], { cwd: root });
    expect(stdout.trim()).toBe('3');
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
});

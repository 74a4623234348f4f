// How every Lambda is bundled. serverless-esbuild reads this file (serverless.yml,
// custom.esbuild.config) and so does `npm run bench -- lambda`, so the bundles measured there are
// built exactly like the deployed ones.

const { execFile } = require('node:child_process');
const { mkdtemp, readFile, rm } = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');

/**
 * Names the chunks of a one-entry build after its entry (`handlers/x.chunks/…` beside
 * `handlers/x.mjs`). serverless-esbuild leaves out of a function's zip the files named like
 * another function's bundle plus a dot, so each zip gets its own chunks and no one else's.
 */
const chunksBesideTheirEntry = {
  name: 'chunks-beside-their-entry',
  setup(build) {
    const entries = build.initialOptions.entryPoints;
    if (!Array.isArray(entries) || entries.length !== 1 || typeof entries[0] !== 'string') return;
    build.initialOptions.chunkNames = `${path.basename(entries[0], path.extname(entries[0]))}.chunks/[name]-[hash]`;
  },
};

/**
 * Builds the web console (console/build.ts) in place of the import `fireflow:console-assets`, so
 * the `console` function's bundle carries the app wherever it is bundled: package, offline, bench.
 */
const consoleAssets = {
  name: 'fireflow-console-assets',
  setup(build) {
    build.onResolve({ filter: /^fireflow:console-assets$/ }, () => ({ path: 'console-assets', namespace: 'fireflow-console' }));
    build.onLoad({ filter: /.*/, namespace: 'fireflow-console' }, async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'fireflow-console-'));
      try {
        const out = path.join(dir, 'assets.mjs');
        await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(__dirname, 'console', 'build.ts'), out], { cwd: __dirname });
        return { contents: await readFile(out, 'utf8'), loader: 'js', resolveDir: __dirname };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  },
};

/** Options handed to esbuild itself. */
const esbuildOptions = {
  bundle: true,
  // Whitespace and syntax only: names stay readable in stack traces without source maps, which
  // Node would otherwise parse at every cold start (--enable-source-maps roughly doubles init).
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'external',
  target: 'node22',
  platform: 'node',
  format: 'esm',
  mainFields: ['module', 'main'],
  // What a handler loads only on some paths (import()) goes to chunks of its own, so a cold start
  // does not even parse it: the node types and JSONata for the execution handlers, for example.
  splitting: true,
  // Optional dependencies loaded only on paths FireFlow never takes: pg's native binding, and
  // the DBOS SDK's OTLP and winston logging (required lazily; not installed).
  external: ['pg-native', '@opentelemetry/*', 'winston', 'winston-transport'],
  plugins: [chunksBesideTheirEntry, consoleAssets],
  banner: {
    // Bundled CommonJS dependencies call require() for Node built-ins.
    js: "import { createRequire as __fireflowCreateRequire } from 'node:module'; const require = __fireflowCreateRequire(import.meta.url);",
  },
};

module.exports = Object.assign(
  () => ({
    ...esbuildOptions,
    // serverless-esbuild's own options: .mjs marks the bundles as ES modules for the Lambda
    // runtime, and the runtime already ships the AWS SDK v3.
    outputFileExtension: '.mjs',
    exclude: ['@aws-sdk/*'],
  }),
  { esbuildOptions },
);

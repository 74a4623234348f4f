// How every Lambda is bundled. serverless-esbuild reads this file (serverless.yml,
// custom.esbuild.config) and so does `npm run bench -- lambda`, so the bundles measured there are
// built exactly like the deployed ones.

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
  // Optional dependencies loaded only on paths FireFlow never takes: pg's native binding, and
  // the DBOS SDK's OTLP and winston logging (required lazily; not installed).
  external: ['pg-native', '@opentelemetry/*', 'winston', 'winston-transport'],
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

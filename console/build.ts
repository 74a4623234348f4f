import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { portCatalog } from '../lib/graph/ports.js';

// Builds the web console (a static single-page app) with esbuild: hashed script and style files
// under /console/assets/ and an index page that names them. The `console` Lambda carries the
// result in its bundle (esbuild.config.cjs turns the import `fireflow:console-assets` into it),
// so `serverless package`, serverless-offline and the tests all serve what this builds.

/** Where the console is served; every URL of the app starts here. */
export const CONSOLE_BASE = '/console';

export interface ConsoleAsset {
  /** The URL path, e.g. `/console/assets/main-3FQ2.js`. */
  path: string;
  contentType: string;
  body: Buffer;
  /** Hashed files never change under their name; the index does. */
  immutable: boolean;
}

export interface ConsoleBuild {
  index: ConsoleAsset;
  assets: ConsoleAsset[];
  /** Bytes of each built file, raw and gzipped (reported by the bench and the build). */
  sizes: Array<{ path: string; bytes: number; gzipBytes: number }>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
};

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#e8590c"/><path d="M9 8h14v4H13v3h8v4h-8v6H9z" fill="#fff"/></svg>`;

const hashOf = (body: Buffer | string) => createHash('sha256').update(body).digest('base64url').slice(0, 10);

/** Builds the console in memory. */
export async function buildConsole(): Promise<ConsoleBuild> {
  const result = await esbuild.build({
    absWorkingDir: path.resolve(import.meta.dirname, '..'),
    entryPoints: { main: 'console/src/main.tsx' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    minify: true,
    write: false,
    metafile: true,
    outdir: 'out/assets',
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    publicPath: `${CONSOLE_BASE}/assets`,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { FIREFLOW_PORT_CATALOG: JSON.stringify(portCatalog()), 'process.env.NODE_ENV': '"production"' },
    legalComments: 'none',
    logLevel: 'silent',
  });
  const assets: ConsoleAsset[] = result.outputFiles.map((file) => ({
    path: `${CONSOLE_BASE}/assets/${path.basename(file.path)}`,
    contentType: CONTENT_TYPES[path.extname(file.path)] ?? 'application/octet-stream',
    body: Buffer.from(file.contents),
    immutable: true,
  }));
  const favicon: ConsoleAsset = { path: `${CONSOLE_BASE}/assets/favicon-${hashOf(FAVICON)}.svg`, contentType: CONTENT_TYPES['.svg']!, body: Buffer.from(FAVICON), immutable: true };
  assets.push(favicon);
  const script = assets.find((asset) => /\/main-[^/]+\.js$/.test(asset.path));
  const style = assets.find((asset) => /\/main-[^/]+\.css$/.test(asset.path));
  if (!script || !style) throw new Error('the console build made no main script or style');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>FireFlow console</title>
<link rel="icon" href="${favicon.path}" type="image/svg+xml">
<link rel="stylesheet" href="${style.path}">
<script type="module" src="${script.path}"></script>
</head>
<body>
<div id="app"><noscript>The FireFlow console needs JavaScript.</noscript></div>
</body>
</html>
`;
  const index: ConsoleAsset = { path: `${CONSOLE_BASE}/index.html`, contentType: CONTENT_TYPES['.html']!, body: Buffer.from(html), immutable: false };
  const sizes = [index, ...assets].map((asset) => ({ path: asset.path, bytes: asset.body.length, gzipBytes: gzipSync(asset.body).length }));
  return { index, assets, sizes };
}

/**
 * The console as an ES module for the `console` Lambda: each file gzipped once here, so the
 * function only copies bytes (and unzips for the rare client that takes no gzip).
 */
export function consoleAssetsModule(build: ConsoleBuild): string {
  const entry = (asset: ConsoleAsset) => ({ contentType: asset.contentType, immutable: asset.immutable, gzip: gzipSync(asset.body, { level: 9 }).toString('base64') });
  const assets = Object.fromEntries(build.assets.map((asset) => [asset.path, entry(asset)]));
  return `export const index = ${JSON.stringify(entry(build.index))};\nexport const assets = ${JSON.stringify(assets)};\n`;
}

// `node --import tsx console/build.ts <out.js>`: writes the module (esbuild.config.cjs runs this).
if (process.argv[1] === import.meta.filename) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: console/build.ts <module file to write>');
  await writeFile(out, consoleAssetsModule(await buildConsole()));
}

// The built web console, which esbuild.config.cjs puts in place of this import (console/build.ts).
declare module 'fireflow:console-assets' {
  import type { EmbeddedAsset } from '../lib/lambda/console.js';

  export const index: EmbeddedAsset;
  export const assets: Record<string, EmbeddedAsset>;
}

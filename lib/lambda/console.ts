import { gunzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** One file of the built console, gzipped at build time (console/build.ts). */
export interface EmbeddedAsset {
  contentType: string;
  /** Hashed names never change content: cached for a year; the index is revalidated every time. */
  immutable: boolean;
  /** The gzipped body, base64. */
  gzip: string;
}

export interface ConsoleFiles {
  index: EmbeddedAsset;
  assets: Record<string, EmbeddedAsset>;
}

const ASSET_PREFIX = '/console/assets/';

/** The page may load only its own scripts and styles and talk only to its own origin (the API). */
const INDEX_SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'referrer-policy': 'no-referrer',
};

function fileResponse(asset: EmbeddedAsset, acceptsGzip: boolean, extraHeaders: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 200,
    headers: {
      'content-type': asset.contentType,
      'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
      ...(acceptsGzip ? { 'content-encoding': 'gzip' } : {}),
      ...extraHeaders,
    },
    isBase64Encoded: true,
    body: acceptsGzip ? asset.gzip : gunzipSync(Buffer.from(asset.gzip, 'base64')).toString('base64'),
  };
}

/**
 * GET /console and /console/{path+}: a built file by its path, the app's index for every other
 * path under /console (the app routes in the browser), 404 for an asset name that does not exist.
 */
export function consoleHandler(files: ConsoleFiles) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const acceptsGzip = /\bgzip\b/i.test(event.headers?.['accept-encoding'] ?? '');
    const asset = files.assets[event.rawPath];
    if (asset) return fileResponse(asset, acceptsGzip);
    if (event.rawPath.startsWith(ASSET_PREFIX)) {
      return { statusCode: 404, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' }, body: 'no such console file\n' };
    }
    return fileResponse(files.index, acceptsGzip, INDEX_SECURITY_HEADERS);
  };
}

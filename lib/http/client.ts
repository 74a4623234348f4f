import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import type { Dispatcher } from 'undici';
import { BodyTooLargeError } from './errors.js';
import { guardedAgent } from './guard.js';

/** One HTTP request, sent as it is: a redirect comes back as the response it is. */
export interface HttpRequest {
  method: string;
  /** An absolute http or https URL. */
  url: string;
  /** Names in lower case. */
  headers: Record<string, string>;
  body?: string | undefined;
  /** Stops the request, and the reading of its body, when it aborts (the rejection is its reason). */
  signal: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /**
   * Names in lower case, sorted; a repeated header's values joined by ", " ("; " for cookie),
   * except set-cookie, whose last value stands alone.
   */
  headers: Record<string, string>;
  /**
   * The whole body, decoded as its content-encoding says, but no more than `maxBytes` of it: past
   * that it stops reading and rejects with a BodyTooLargeError. A body cut short rejects with
   * "terminated" (the cause says why).
   */
  readBody(maxBytes: number): Promise<Buffer>;
  /** Leaves the body unread; a body still arriving closes its connection. */
  discardBody(): void;
}

/**
 * Sends one request and answers when the response's status and headers have arrived. A request
 * that gets no response rejects with "fetch failed" (the cause says why: a BlockedDestinationError
 * for a refused address).
 */
export type HttpClient = (request: HttpRequest) => Promise<HttpResponse>;

// The words that failed requests and cut-short bodies have always been reported with (they are
// the Fetch API's, which the client once was): flows and alerts may match on them.
const NO_RESPONSE = 'fetch failed';
const BODY_CUT_SHORT = 'terminated';

/** A request that got no usable response; `cause` says why. */
const noResponse = (cause: unknown): Error => new Error(NO_RESPONSE, { cause });

/**
 * The HTTP client of HttpRequestNode: undici's request API on a guardedAgent, so that connections
 * reach only addresses `mayConnectTo` lets through and are kept alive. It keeps to what the Fetch
 * API did when the node used it, without building its objects and streams: requests carry the
 * same default headers, ports of other protocols are refused, a 421 is sent once more, a 407
 * counts as no response, bodies are decoded and headers joined the same way.
 */
export function guardedHttpClient(allowedNetworks: readonly string[]): HttpClient {
  const agent = guardedAgent(allowedNetworks);
  return async (request) => {
    const url = new URL(request.url);
    if (url.username !== '' || url.password !== '') throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${request.url}`);
    if (OTHER_PROTOCOL_PORTS.has(url.port)) throw noResponse(new Error('bad port'));
    const options: Dispatcher.RequestOptions = {
      origin: url.origin,
      path: requestTarget(url),
      method: request.method as Dispatcher.HttpMethod,
      headers: outgoingHeaders(request, url),
      body: request.body ?? null,
      signal: request.signal,
    };
    let response = await exchange(agent, options, request.signal);
    // Misdirected (the connection reached a server that does not serve this origin): once more.
    if (response.statusCode === 421) {
      discard(response.body);
      response = await exchange(agent, options, request.signal);
    }
    const raw = response.body;
    const headers = joinedHeaders(response.headers);
    let decoders: Transform[];
    try {
      decoders = decodersFor(request.method, response.statusCode, headers['content-encoding']);
    } catch (error) {
      discard(raw);
      throw noResponse(error);
    }
    const body = decoders.length === 0 ? raw : (pipeline([raw, ...decoders], () => undefined) as Transform);
    return {
      status: response.statusCode,
      headers,
      readBody: (maxBytes) => readAll(body, maxBytes, request.signal),
      discardBody: () => discard(raw),
    };
  };
}

/**
 * Ports of other protocols (mail, shell, file sharing, chat, …), which HTTP requests never go to
 * (the Fetch standard's "bad ports"): a request there could be taken for that protocol's commands.
 */
const OTHER_PROTOCOL_PORTS = new Set(
  [
    1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389,
    427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566,
    6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
  ].map(String),
);

/** One exchange: the response once its head has arrived. A 407 (a proxy wants credentials) counts as no response. */
async function exchange(agent: Dispatcher, options: Dispatcher.RequestOptions, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
  let response: Dispatcher.ResponseData;
  try {
    response = await agent.request(options);
  } catch (error) {
    if (signal.aborted) throw error;
    throw noResponse(error);
  }
  if (response.statusCode !== 407) return response;
  discard(response.body);
  throw noResponse(new Error('proxy authentication required'));
}

/** Drops a body unread: one still arriving errors as it goes (the request is aborted), with nobody left to tell. */
function discard(body: Readable): void {
  body.on('error', () => undefined).destroy();
}

/** Path and query; a URL that ends in a bare "?" keeps it. */
function requestTarget(url: URL): string {
  const bareQuestionMark = url.search === '' && url.href.endsWith('?', url.href.length - url.hash.length);
  return `${url.pathname}${bareQuestionMark ? '?' : url.search}`;
}

const CONDITIONAL_HEADERS = ['if-modified-since', 'if-none-match', 'if-unmodified-since', 'if-match', 'if-range'];

/** The request's headers with the defaults the Fetch API adds where they are missing, in its order. */
function outgoingHeaders(request: HttpRequest, url: URL): Record<string, string> {
  const headers = { ...request.headers };
  if (request.body !== undefined) headers['content-type'] ??= 'text/plain;charset=UTF-8';
  headers.accept ??= '*/*';
  headers['accept-language'] ??= '*';
  if (headers['content-length'] === undefined) {
    if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
    else if (request.method === 'POST' || request.method === 'PUT') headers['content-length'] = '0';
  }
  headers['sec-fetch-mode'] = 'cors';
  headers['user-agent'] ??= 'undici';
  // A conditional request asks the origin server itself, past any cache on the way.
  if (CONDITIONAL_HEADERS.some((name) => headers[name] !== undefined)) {
    headers.pragma ??= 'no-cache';
    headers['cache-control'] ??= 'no-cache';
  }
  // A range of the body means a range of its bytes as sent: no content coding.
  if (headers.range !== undefined) headers['accept-encoding'] = headers['accept-encoding'] === undefined ? 'identity' : `${headers['accept-encoding']}, identity`;
  headers['accept-encoding'] ??= url.protocol === 'https:' ? 'br, gzip, deflate' : 'gzip, deflate';
  delete headers.host;
  return headers;
}

/** undici's parsed headers (lower-case names, an array for a repeated one) as HttpResponse holds them. */
function joinedHeaders(parsed: Record<string, string | string[] | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(parsed)
      .sort()
      .map((name) => {
        const value = parsed[name] ?? '';
        if (!Array.isArray(value)) return [name, value];
        return [name, name === 'set-cookie' ? (value.at(-1) ?? '') : value.join(name === 'cookie' ? '; ' : ', ')];
      }),
  );
}

/** Statuses whose responses have no body to decode. */
const BODILESS_STATUSES = new Set([101, 204, 205, 304]);
/** Most content codings a response may stack (more is refused: each one costs a decoder). */
const MAX_CONTENT_CODINGS = 5;
// Decoding is lenient, as browsers' and curl's is: a body whose compressed stream ends early still
// gives what it holds.
const SYNC_FLUSH = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
const DECODERS = new Map<string, () => Transform>([
  ['gzip', () => zlib.createGunzip(SYNC_FLUSH)],
  ['x-gzip', () => zlib.createGunzip(SYNC_FLUSH)],
  ['deflate', () => new DeflateDecoder()],
  ['br', () => zlib.createBrotliDecompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })],
  // Zstandard where the runtime has it (Node.js 22.15 and later).
  ...(typeof zlib.createZstdDecompress === 'function'
    ? [['zstd', () => zlib.createZstdDecompress({ flush: zlib.constants.ZSTD_e_continue, finishFlush: zlib.constants.ZSTD_e_end })] as const]
    : []),
]);

/**
 * The decoders of a response's body, in the order they apply (the last coding first). None for a
 * response without a body, and none when one of its codings is unknown: such a body is read as it came.
 */
function decodersFor(method: string, status: number, contentEncoding: string | undefined): Transform[] {
  if (method === 'HEAD' || method === 'CONNECT' || BODILESS_STATUSES.has(status) || !contentEncoding) return [];
  const codings = contentEncoding.toLowerCase().split(',');
  if (codings.length > MAX_CONTENT_CODINGS) throw new Error(`too many content-encodings in response: ${codings.length}, maximum allowed is ${MAX_CONTENT_CODINGS}`);
  const makers = codings.reverse().map((coding) => DECODERS.get(coding.trim()));
  return makers.every((make) => make !== undefined) ? makers.map((make) => make()) : [];
}

/** Inflates a deflate body, zlib-wrapped or raw (servers send both): its first byte tells which. */
class DeflateDecoder extends Transform {
  private inflate: zlib.Inflate | zlib.InflateRaw | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.inflate === undefined) {
      if (chunk.length === 0) return callback();
      this.inflate = ((chunk[0] ?? 0) & 0x0f) === 0x08 ? zlib.createInflate(SYNC_FLUSH) : zlib.createInflateRaw(SYNC_FLUSH);
      this.inflate.on('data', (data: Buffer) => this.push(data));
      this.inflate.on('error', (error) => this.destroy(error));
    }
    this.inflate.write(chunk, callback);
  }

  override _flush(callback: TransformCallback): void {
    // The body ends when the inflater has given all it holds.
    if (this.inflate === undefined) return callback();
    this.inflate.once('end', () => callback());
    this.inflate.end();
  }
}

/** Reads `body` to its end, no further than `maxBytes`. */
function readAll(body: Readable, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const failed = (error: unknown) => reject(signal.aborted ? error : new Error(BODY_CUT_SHORT, { cause: error }));
    // Destroyed before anyone read it: it failed on its way.
    if (body.destroyed) return failed(body.errored);
    const chunks: Buffer[] = [];
    let read = 0;
    body.on('data', (chunk: Buffer) => {
      read += chunk.byteLength;
      if (read <= maxBytes) return void chunks.push(chunk);
      body.destroy();
      reject(new BodyTooLargeError(maxBytes, read));
    });
    body.once('end', () => resolve(chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, read)));
    body.once('error', failed);
    // Closed with neither an end nor an error: destroyed on its way.
    body.once('close', () => failed(undefined));
  });
}

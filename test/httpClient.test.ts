import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedHttpClient, type HttpRequest } from '../lib/http/client.js';
import { BodyTooLargeError } from '../lib/http/errors.js';

// HttpRequestNode's HTTP client against a real local server: what servers see and what comes
// back are what they were when the node used the Fetch API.
const client = guardedHttpClient(['127.0.0.0/8']);
let server: http.Server;
let base: string;
const received: http.IncomingHttpHeaders[] = [];
let connections = 0;
const attempts = new Map<string, number>();

const responses: Record<string, (request: http.IncomingMessage, response: http.ServerResponse) => void> = {
  '/echo': (_request, response) => response.writeHead(200).end('echo'),
  '/gzip': (_request, response) => response.writeHead(200, { 'content-encoding': 'gzip' }).end(zlib.gzipSync('gzipped')),
  '/deflate': (_request, response) => response.writeHead(200, { 'content-encoding': 'deflate' }).end(zlib.deflateSync('zlib-wrapped')),
  '/deflate-raw': (_request, response) => response.writeHead(200, { 'content-encoding': 'deflate' }).end(zlib.deflateRawSync('raw')),
  '/stacked': (_request, response) => response.writeHead(200, { 'content-encoding': 'gzip, br' }).end(zlib.brotliCompressSync(zlib.gzipSync('twice'))),
  '/unknown-coding': (_request, response) => response.writeHead(200, { 'content-encoding': 'gzip, rot13' }).end('as sent'),
  '/gzip-large': (_request, response) => response.writeHead(200, { 'content-encoding': 'gzip' }).end(zlib.gzipSync(Buffer.alloc(300_000, 'a'))),
  '/repeated': (_request, response) => {
    response.setHeader('Set-Cookie', ['first=1; Path=/', 'second=2; HttpOnly']);
    response.setHeader('X-Multi', ['one', 'two']);
    response.setHeader('Zeta', 'z');
    response.writeHead(200).end();
  },
  '/misdirected-once': (request, response) => {
    const attempt = (attempts.get(request.url ?? '') ?? 0) + 1;
    attempts.set(request.url ?? '', attempt);
    if (attempt === 1) response.writeHead(421).end('wrong server');
    else response.writeHead(200).end(`attempt ${attempt}`);
  },
  '/proxy-auth': (_request, response) => response.writeHead(407).end(),
  '/hang': () => undefined,
  '/trickle': (_request, response) => void response.writeHead(200).write('first part'),
  '/cut': (request, response) => {
    response.writeHead(200, { 'content-length': '100' }).write('partial');
    setTimeout(() => request.socket.destroy(), 20);
  },
};

beforeAll(async () => {
  server = http.createServer((request, response) => {
    received.push(request.headers);
    request.resume();
    request.on('end', () => responses[request.url ?? '']?.(request, response));
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const send = (path: string, request: Partial<HttpRequest> = {}) => client({ method: 'GET', url: `${base}${path}`, headers: {}, signal: new AbortController().signal, ...request });
const bodyOf = async (path: string) => (await (await send(path)).readBody(1_000_000)).toString();

describe('the HTTP client', () => {
  it('sends the default headers requests have always carried, given ones taking their place', async () => {
    await (await send('/echo')).readBody(100);
    expect(received.at(-1)).toMatchObject({ accept: '*/*', 'accept-language': '*', 'sec-fetch-mode': 'cors', 'user-agent': 'undici', 'accept-encoding': 'gzip, deflate' });
    await (await send('/echo', { method: 'POST', body: 'hello', headers: { accept: 'text/html' } })).readBody(100);
    expect(received.at(-1)).toMatchObject({ accept: 'text/html', 'content-type': 'text/plain;charset=UTF-8', 'content-length': '5' });
    await (await send('/echo', { method: 'POST' })).readBody(100);
    expect(received.at(-1)).toMatchObject({ 'content-length': '0' });
    await (await send('/echo', { headers: { 'if-none-match': '"v1"', range: 'bytes=0-1' } })).readBody(100);
    expect(received.at(-1)).toMatchObject({ pragma: 'no-cache', 'cache-control': 'no-cache', 'accept-encoding': 'identity' });
  });

  it('decodes gzip, deflate (zlib-wrapped or raw), br and stacked codings, and leaves a body with an unknown coding as it came', async () => {
    expect(await bodyOf('/gzip')).toBe('gzipped');
    expect(await bodyOf('/deflate')).toBe('zlib-wrapped');
    expect(await bodyOf('/deflate-raw')).toBe('raw');
    expect(await bodyOf('/stacked')).toBe('twice');
    expect(await bodyOf('/unknown-coding')).toBe('as sent');
  });

  it('answers headers sorted, repeated ones joined, set-cookie with its last value', async () => {
    const { headers } = await send('/repeated');
    expect(Object.keys(headers)).toEqual([...Object.keys(headers)].sort());
    expect(headers).toMatchObject({ 'set-cookie': 'second=2; HttpOnly', 'x-multi': 'one, two', zeta: 'z' });
  });

  it('stops reading past maxBytes, counting decoded bytes', async () => {
    const response = await send('/gzip-large');
    const error = await response.readBody(100_000).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect((error as BodyTooLargeError).read).toBeGreaterThan(100_000);
  });

  it('sends a 421 once more, takes a 407 for no response, and refuses the ports of other protocols without connecting', async () => {
    const retried = await send('/misdirected-once');
    expect({ status: retried.status, body: (await retried.readBody(100)).toString() }).toEqual({ status: 200, body: 'attempt 2' });
    await expect(send('/proxy-auth')).rejects.toThrow('fetch failed');
    const before = connections;
    await expect(client({ method: 'GET', url: 'http://127.0.0.1:25/', headers: {}, signal: new AbortController().signal })).rejects.toMatchObject({ message: 'fetch failed', cause: { message: 'bad port' } });
    expect(connections).toBe(before);
  });

  it('keeps its connection alive from one request to the next', async () => {
    await (await send('/echo')).readBody(100);
    const before = connections;
    for (let i = 0; i < 5; i += 1) await (await send('/echo')).readBody(100);
    expect(connections).toBe(before);
  });

  it('stops a request that gets no answer, and a body still arriving, when its signal aborts, with its reason', async () => {
    await expect(send('/hang', { signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ name: 'TimeoutError' });
    const controller = new AbortController();
    const trickling = await send('/trickle', { signal: controller.signal });
    const reason = new Error('cancelled');
    setTimeout(() => controller.abort(reason), 50);
    await expect(trickling.readBody(1_000)).rejects.toBe(reason);
  });

  it('rejects a body cut short with "terminated"', async () => {
    await expect((await send('/cut')).readBody(1_000)).rejects.toThrow('terminated');
  });
});

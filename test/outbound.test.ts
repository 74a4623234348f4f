import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedHttpClient } from '../lib/http/client.js';
import { DEFAULT_FLOW_LIMITS } from '../lib/limits.js';
import { flowKit, type FlowKit } from './support/flows.js';

// HttpRequestNode's outbound guard, on a real network stack: nothing here leaves the machine
// (refused destinations are refused before any connection is made).
let kit: FlowKit;
const servers: http.Server[] = [];

async function serve(host: string, handle: http.RequestListener): Promise<string> {
  const server = http.createServer(handle);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

let local: string;
let elsewhere: string;
let loop: string;
let silent: string;
let echo: string;
let bounce: string;
const authorizations: Array<string | undefined> = [];

beforeAll(async () => {
  kit = flowKit();
  local = await serve('127.0.0.1', (_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  // A server on another loopback address standing for a public one, which redirects to `local`.
  elsewhere = await serve('127.0.0.2', (_request, response) => response.writeHead(302, { location: `${local}/inside` }).end());
  loop = await serve('127.0.0.1', (request, response) => response.writeHead(302, { location: `${request.url}x` }).end());
  silent = await serve('127.0.0.1', () => undefined);
  echo = await serve('127.0.0.1', (request, response) => {
    authorizations.push(request.headers.authorization);
    response.writeHead(200).end();
  });
  // Another origin, sending callers on to `echo`.
  bounce = await serve('127.0.0.2', (_request, response) => response.writeHead(307, { location: `${echo}/landed` }).end());
});

afterAll(async () => {
  await kit.close();
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

const call = (url: string) => ({ nodes: [{ id: 'call', type: 'HttpRequestNode', inputs: { url } }, { id: 'out', type: 'FlowOutputNode' }], edges: [{ from: 'call.status', to: 'out.value' }] });

describe('outbound requests', () => {
  it('refuses link-local, metadata, private and loopback destinations, by address or by name', async () => {
    const guarded = kit.runner({ http: guardedHttpClient([]) });
    const port = new URL(local).port;
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://169.254.170.2/v2/credentials', 'http://10.0.0.1/', `http://[::1]:${port}/`, `http://localhost:${port}/`, 'http://[::ffff:127.0.0.1]/', 'http://[::7f00:1]/', 'http://[64:ff9b::7f00:1]/']) {
      const { execution } = await guarded.runDefinition(call(url));
      expect(execution.error, url).toMatchObject({ type: 'NetworkError', nodeId: 'call', details: { reason: 'blocked-destination' } });
    }
  });

  it('lets listed networks through, and checks every redirect', async () => {
    const loopback = kit.runner({ http: guardedHttpClient(['127.0.0.0/8', '::1/128']) });
    expect((await loopback.runDefinition(call(`${local}/`))).execution).toMatchObject({ status: 'completed', output: 200 });
    const onlyElsewhere = kit.runner({ http: guardedHttpClient(['127.0.0.2/32']) });
    const { execution } = await onlyElsewhere.runDefinition(call(`${elsewhere}/start`));
    expect(execution.error).toMatchObject({ type: 'NetworkError', details: { reason: 'blocked-destination', address: '127.0.0.1' } });
    expect((await loopback.runDefinition(call(`${elsewhere}/start`))).execution).toMatchObject({ status: 'completed', output: 200 });
  });

  it('drops credentials when a redirect leaves the origin', async () => {
    const loopback = kit.runner({ http: guardedHttpClient(['127.0.0.0/8']) });
    const definition = { nodes: [{ id: 'call', type: 'HttpRequestNode', inputs: { url: `${bounce}/start`, headers: { Authorization: 'Bearer keep-it-here' } } }] };
    expect((await loopback.runDefinition(definition)).execution.status).toBe('completed');
    expect(authorizations).toEqual([undefined]);
  });

  it('follows at most 5 redirects', async () => {
    const { execution } = await kit.runner({ http: guardedHttpClient(['127.0.0.0/8']) }).runDefinition(call(`${loop}/r`));
    expect(execution.error).toMatchObject({ type: 'NetworkError', details: { reason: 'too-many-redirects' } });
  });

  it('bounds a request without a timeoutMs of its own by HTTP_TIMEOUT_MS', async () => {
    const quick = kit.runner({ http: guardedHttpClient(['127.0.0.0/8']), limits: { ...DEFAULT_FLOW_LIMITS, httpTimeoutMs: 300 } });
    const { execution } = await quick.runDefinition(call(`${silent}/`));
    expect(execution.error).toMatchObject({ type: 'Timeout', nodeId: 'call', message: 'timed out after 300 ms' });
  });
});

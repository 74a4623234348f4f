import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunOptions } from '../lib/executions/run/ExecutionService.js';
import { flowKit, type FlowKit } from './support/flows.js';
import { uniqueKey } from './support/stack.js';

let kit: FlowKit;
let server: http.Server;
let baseUrl: string;

beforeAll(async () => {
  kit = flowKit();
  // A real local HTTP server for HttpRequestNode.
  server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (request.url === '/missing') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('no such thing');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json', 'x-test': 'yes' });
      response.end(JSON.stringify({ method: request.method, url: request.url, body: body === '' ? null : JSON.parse(body) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await kit.close();
  await new Promise((resolve) => server.close(resolve));
});

const node = (id: string, type: string, inputs?: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ id, type, ...(inputs ? { inputs } : {}), ...extra });
const edge = (from: string, to: string) => ({ from, to });
const input = node('in', 'FlowInputNode');
const output = node('out', 'FlowOutputNode');
const transform = (id: string, expression: string) => node(id, 'TransformNode', { expression });

interface Expectation {
  status: 'completed' | 'failed' | 'stopped';
  output?: unknown;
  error?: { type: string; message: string | RegExp; nodeId?: string };
  skipped?: string[];
}

type Case = [label: string, build: () => { definition: unknown; input?: unknown; options?: RunOptions }, expected: Expectation];

const cases: Case[] = [
  ['echoes the input through FlowInputNode → FlowOutputNode', () => ({ definition: { nodes: [input, output], edges: [edge('in.value', 'out.value')] }, input: { a: 1 } }), { status: 'completed', output: { a: 1 } }],
  ['answers null without a FlowOutputNode', () => ({ definition: { nodes: [input, transform('t', '1 + 1')], edges: [edge('in.value', 't.input')] } }), { status: 'completed', output: null }],
  ['evaluates JSONata on the input', () => ({ definition: { nodes: [input, transform('t', '$sum(items.price)'), output], edges: [edge('in.value', 't.input'), edge('t.result', 'out.value')] }, input: { items: [{ price: 2 }, { price: 3 }] } }), { status: 'completed', output: 5 }],
  ['prefers a static value to the port default', () => ({ definition: { nodes: [node('b', 'BranchNode', { condition: true, value: 'static' }), output], edges: [edge('b.true', 'out.value')] } }), { status: 'completed', output: 'static' }],
  ['prefers an edge value to the static value', () => ({ definition: { nodes: [input, node('b', 'BranchNode', { condition: true, value: 'static' }), output], edges: [edge('in.value', 'b.value'), edge('b.true', 'out.value')] }, input: 'from edge' }), { status: 'completed', output: 'from edge' }],
  ['falls back to the port default', () => ({ definition: { nodes: [node('b', 'BranchNode', { condition: true }), output], edges: [edge('b.true', 'out.value')] } }), { status: 'completed', output: null }],
  ['takes the true side of a branch and skips the false side', () => ({ definition: { nodes: [input, node('b', 'BranchNode', { condition: true }), transform('yes', '"yes " & $'), transform('no', '"no " & $'), output], edges: [edge('in.value', 'b.value'), edge('b.true', 'yes.input'), edge('b.false', 'no.input'), edge('yes.result', 'out.value')] }, input: 'x' }), { status: 'completed', output: 'yes x', skipped: ['no'] }],
  ['takes the false side of a branch and skips the true side and its output', () => ({ definition: { nodes: [input, transform('cond', '$ > 10'), node('b', 'BranchNode'), transform('yes', '"big"'), transform('no', '"small"'), output], edges: [edge('in.value', 'cond.input'), edge('cond.result', 'b.condition'), edge('b.true', 'yes.input'), edge('b.false', 'no.input'), edge('yes.result', 'out.value')] }, input: 3 }), { status: 'completed', output: null, skipped: ['yes', 'out'] }],
  ['merges two branches into one port, taking the side that ran', () => ({ definition: { nodes: [input, transform('cond', '$ > 10'), node('b', 'BranchNode'), transform('yes', '"big"'), transform('no', '"small"'), output], edges: [edge('in.value', 'cond.input'), edge('cond.result', 'b.condition'), edge('in.value', 'b.value'), edge('b.true', 'yes.input'), edge('b.false', 'no.input'), edge('yes.result', 'out.value'), edge('no.result', 'out.value')] }, input: 3 }), { status: 'completed', output: 'small', skipped: ['yes'] }],
  ['propagates a skip down a chain', () => ({ definition: { nodes: [node('b', 'BranchNode', { condition: false }), transform('a1', '1'), transform('a2', '2'), transform('a3', '3'), output], edges: [edge('b.true', 'a1.input'), edge('a1.result', 'a2.input'), edge('a2.result', 'a3.input'), edge('a3.result', 'out.value')] } }), { status: 'completed', output: null, skipped: ['a1', 'a2', 'a3', 'out'] }],
  ['fails the execution on an unhandled failure, naming the node', () => ({ definition: { nodes: [node('boom', 'FailNode', { message: 'it broke' }), output] } }), { status: 'failed', error: { type: 'FlowError', message: 'it broke', nodeId: 'boom' } }],
  ['handles a failure whose __error port is wired', () => ({ definition: { nodes: [node('boom', 'FailNode', { message: 'it broke' }), transform('recover', '"recovered"'), output], edges: [edge('boom.__error', 'recover.__execute'), edge('recover.result', 'out.value')] } }), { status: 'completed', output: 'recovered' }],
  ['fails with the errorType given to FailNode', () => ({ definition: { nodes: [node('boom', 'FailNode', { message: 'no stock', errorType: 'OutOfStock' }), output] } }), { status: 'failed', error: { type: 'OutOfStock', message: 'no stock', nodeId: 'boom' } }],
  ['routes __errorType as a value', () => ({ definition: { nodes: [node('boom', 'FailNode', { message: 'no stock', errorType: 'OutOfStock' }), output], edges: [edge('boom.__errorType', 'out.value')] } }), { status: 'completed', output: 'OutOfStock' }],
  ['routes __errorMessage as a value', () => ({ definition: { nodes: [node('boom', 'FailNode', { message: 'bad input' }), output], edges: [edge('boom.__errorMessage', 'out.value')] } }), { status: 'completed', output: 'bad input' }],
  ['skips consumers of a failed node’s outputs when the failure is handled', () => ({ definition: { nodes: [node('boom', 'FailNode'), transform('after', '1'), transform('handler', '"handled"'), output], edges: [edge('boom.__success', 'after.__execute'), edge('boom.__error', 'handler.__execute'), edge('handler.result', 'out.value')] } }), { status: 'completed', output: 'handled', skipped: ['after'] }],
  ['skips the error handler of a node that succeeded', () => ({ definition: { nodes: [transform('ok', '1'), transform('handler', '"handled"'), output], edges: [edge('ok.__error', 'handler.__execute'), edge('ok.result', 'out.value')] } }), { status: 'completed', output: 1, skipped: ['handler'] }],
  ['skips a node whose __execute is false', () => ({ definition: { nodes: [transform('gate', 'false'), transform('guarded', '"ran"'), output], edges: [edge('gate.result', 'guarded.__execute'), edge('guarded.result', 'out.value')] } }), { status: 'completed', output: null, skipped: ['guarded', 'out'] }],
  ['orders work with __success → __execute', () => ({ definition: { nodes: [node('nap', 'SleepNode', { ms: 5 }), transform('after', '"after the nap"'), output], edges: [edge('nap.__success', 'after.__execute'), edge('after.result', 'out.value')] } }), { status: 'completed', output: 'after the nap' }],
  ['fails a node on its timeout', () => ({ definition: { nodes: [node('slow', 'SleepNode', { ms: 10_000 }, { timeoutMs: 50 }), output] } }), { status: 'failed', error: { type: 'Timeout', message: 'timed out after 50 ms', nodeId: 'slow' } }],
  ['handles a node timeout like any failure', () => ({ definition: { nodes: [node('slow', 'SleepNode', { ms: 10_000 }, { timeoutMs: 50 }), output], edges: [edge('slow.__errorMessage', 'out.value')] } }), { status: 'completed', output: 'timed out after 50 ms' }],
  ['fails the whole flow on its timeout', () => ({ definition: { timeoutMs: 100, nodes: [node('slow', 'SleepNode', { ms: 10_000 }), output] } }), { status: 'failed', error: { type: 'Timeout', message: 'flow timed out after 100 ms' } }],
  ['stops on cancellation through the AbortSignal', () => ({ definition: { nodes: [node('slow', 'SleepNode', { ms: 10_000 }), output] }, options: { signal: AbortSignal.timeout(100) } }), { status: 'stopped' }],
  ['fails a node fed a value of the wrong type at run time', () => ({ definition: { nodes: [transform('t', '"soon"'), node('nap', 'SleepNode')], edges: [edge('t.result', 'nap.ms')] } }), { status: 'failed', error: { type: 'InvalidInput', message: 'input ms must be number, got string', nodeId: 'nap' } }],
  ['fails a TransformNode whose expression throws', () => ({ definition: { nodes: [transform('t', '$error("custom failure")')] } }), { status: 'failed', error: { type: 'ExpressionError', message: /custom failure/, nodeId: 't' } }],
  ['sleeps with SleepNode', () => ({ definition: { nodes: [node('nap', 'SleepNode', { ms: 20 }), transform('t', '"rested"'), output], edges: [edge('nap.__success', 't.__execute'), edge('t.result', 'out.value')] } }), { status: 'completed', output: 'rested' }],
  ['sends a JSON body with HttpRequestNode and resolves the parsed answer', () => ({ definition: { nodes: [input, node('call', 'HttpRequestNode', { url: `${baseUrl}/echo`, method: 'POST' }), output], edges: [edge('in.value', 'call.body'), edge('call.body', 'out.value')] }, input: { n: 1 } }), { status: 'completed', output: { method: 'POST', url: '/echo', body: { n: 1 } } }],
  ['resolves the answer headers of HttpRequestNode', () => ({ definition: { nodes: [node('call', 'HttpRequestNode', { url: `${baseUrl}/headers` }), transform('pick', '$."x-test"'), output], edges: [edge('call.headers', 'pick.input'), edge('pick.result', 'out.value')] } }), { status: 'completed', output: 'yes' }],
  ['resolves non-2xx HTTP answers instead of failing', () => ({ definition: { nodes: [node('call', 'HttpRequestNode', { url: `${baseUrl}/missing` }), output], edges: [edge('call.status', 'out.value')] } }), { status: 'completed', output: 404 }],
  ['fails HttpRequestNode when nothing answers', () => ({ definition: { nodes: [node('call', 'HttpRequestNode', { url: 'http://127.0.0.1:1/' })] } }), { status: 'failed', error: { type: 'NetworkError', message: /GET http:\/\/127\.0\.0\.1:1\/ failed/, nodeId: 'call' } }],
  ['invokes a Lambda with LambdaInvokeNode', () => ({ definition: { nodes: [input, node('invoke', 'LambdaInvokeNode', { functionName: 'fireflow-dev-acquireLock' }), transform('pick', 'acquired'), output], edges: [edge('in.value', 'invoke.payload'), edge('invoke.result', 'pick.input'), edge('pick.result', 'out.value')] }, input: { lockKey: uniqueKey('lambda-node'), lockTtlMs: 1000, waitTimeoutMs: 0 } }), { status: 'completed', output: true }],
  ['fails LambdaInvokeNode on a function error, with its type', () => ({ definition: { nodes: [node('invoke', 'LambdaInvokeNode', { functionName: 'fireflow-dev-acquireLock', payload: { lockKey: 'k' } })] } }), { status: 'failed', error: { type: 'ValidationError', message: /ValidationError: lockTtlMs: is required/, nodeId: 'invoke' } }],
  ['fails FFDBLockAcquireNode when the lock is busy', () => {
    const lockKey = uniqueKey('busy-node');
    return { definition: { nodes: [node('first', 'FFDBLockAcquireNode', { lockKey, lockTtlMs: 10_000 }), node('second', 'FFDBLockAcquireNode', { lockKey, lockTtlMs: 10_000, waitTimeoutMs: 0 })], edges: [edge('first.__success', 'second.__execute')] } };
  }, { status: 'failed', error: { type: 'LockNotAcquired', message: /was not acquired within 0 ms/, nodeId: 'second' } }],
];

describe('engine semantics (each flow on the real stack)', () => {
  it.each(cases)('%s', async (_label, build, expected) => {
    const { definition, input: flowInput, options } = build();
    const { execution, events } = await kit.runDefinition(definition, flowInput ?? null, options ?? {});
    expect(execution.status).toBe(expected.status);
    if ('output' in expected) expect(execution.output).toEqual(expected.output);
    if (expected.error) {
      expect(execution.error?.type).toBe(expected.error.type);
      expect(execution.error?.message).toMatch(expected.error.message);
      if (expected.error.nodeId) expect(execution.error?.nodeId).toBe(expected.error.nodeId);
    }
    const skipped = events.filter((event) => event.type === 'node:skipped').map((event) => event.nodeId);
    expect(skipped).toEqual(expected.skipped ?? []);
    expect(events.map((event) => event.index)).toEqual(events.map((_, index) => index));
  });
});

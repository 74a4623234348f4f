import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { followExecution } from '../cli/follow.js';
import { HttpApi } from '../cli/httpApi.js';
import { program } from '../cli/main.js';
import { Output } from '../cli/output.js';
import { freePort } from '../devtools/ports.js';
import { fireflow, fireflowInTurn } from './support/cli.js';
import { uniqueFlowId } from './support/flows.js';
import { http as api, invoke } from './support/stack.js';

// The `fireflow` command as people and scripts use it: the real command in a child process
// against the suite's stack, over the HTTP API and over the invoke functions (--lambda).

// Each test runs the command a few times; on two busy cores one run may take seconds.
vi.setConfig({ testTimeout: 90_000 });

const examples = 'examples/flows';

/** The output a followed run printed after its `completed in …; output:` line. */
const outputOf = (lines: string[]): unknown => JSON.parse(lines.slice(lines.findIndex((line) => line.startsWith('completed in ')) + 1).join('\n'));
let folder: string;

/** A payments API standing in for the outside world: `/<scenario>/v1/charges`, where `flaky-<n>` fails its first n calls and a scenario in `down` always fails. */
const payments = { server: http.createServer(), url: '', calls: new Map<string, number>(), down: new Set<string>() };

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'fireflow-cli-'));
  payments.server.on('request', (request, response) => {
    const scenario = (request.url ?? '').split('/')[1] ?? '';
    const calls = (payments.calls.get(scenario) ?? 0) + 1;
    payments.calls.set(scenario, calls);
    const failFirst = Number(/^flaky-(\d+)$/.exec(scenario)?.[1] ?? 0);
    if (payments.down.has(scenario) || calls <= failFirst) return void response.writeHead(503).end('try later');
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `ch_${calls}`, ...JSON.parse(body || '{}') })));
  });
  await new Promise<void>((resolve) => payments.server.listen(0, '127.0.0.1', resolve));
  payments.url = `http://127.0.0.1:${(payments.server.address() as AddressInfo).port}`;
  // Every example, saved as `flows push` saves them (both test files may push them: created or unchanged).
  const pushed = await fireflow(['flows', 'push', examples]);
  expect(pushed.code, pushed.stderr).toBe(0);
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  await new Promise((resolve) => payments.server.close(resolve));
});

/** The same commands over the HTTP API and over the invoke functions. */
const TRANSPORTS = [
  ['HTTP', []],
  ['--lambda', ['--lambda']],
] as const;

describe('fireflow flows validate', () => {
  it('accepts every example flow offline, exit 0', async () => {
    const run = await fireflow(['flows', 'validate', examples], { env: { FIREFLOW_API_URL: 'http://127.0.0.1:1' } });
    expect(run.code).toBe(0);
    expect(run.lines.filter((line) => / ok \(\d+ nodes\)$/.test(line))).toHaveLength(6);
    expect(run.lines.at(-1)).toBe('6 of 6 flow files valid');
  });

  it('lists every problem as file: field: message and exits 2', async () => {
    const bad = path.join(folder, 'bad');
    await mkdir(bad);
    await writeFile(
      path.join(bad, 'broken.flow.json'),
      JSON.stringify({ nodes: [{ id: 'in', type: 'FlowInputNode' }, { id: 'call', type: 'HttpRequestNode', inputs: { url: 'not a url' } }, { id: 'x', type: 'Mystery' }], edges: [{ from: 'in.value', to: 'call.nope' }] }),
    );
    await writeFile(path.join(bad, 'garbled.flow.json'), '{"nodes": [');
    const run = await fireflow(['flows', 'validate', bad]);
    expect(run.code).toBe(2);
    const problems = run.stderr.trim().split('\n');
    const file = (name: string) => path.join(bad, name);
    expect(problems).toEqual(
      expect.arrayContaining([
        `${file('broken.flow.json')}: nodes[1].inputs.url: must be an absolute URL`,
        expect.stringMatching(new RegExp(`^${file('broken.flow.json')}: nodes\\[2\\]\\.type: unknown node type "Mystery"`)),
        `${file('broken.flow.json')}: edges[0].to: HttpRequestNode call has no input port "nope"`,
        expect.stringMatching(new RegExp(`^${file('garbled.flow.json')}: parse error: `)),
      ]),
    );
    expect(run.lines.at(-1)).toBe('0 of 2 flow files valid');
  });
});

describe.each(TRANSPORTS)('fireflow over %s', (_name, transport) => {
  it('pushes a folder: created, then unchanged, then updated with the next version', async () => {
    const flowId = uniqueFlowId('cli-push');
    const dir = path.join(folder, flowId);
    await mkdir(dir);
    const file = path.join(dir, `${flowId}.flow.json`);
    const flow = { $schema: '../docs/flow.schema.json', name: 'Pushed', nodes: [{ id: 'in', type: 'FlowInputNode' }, { id: 'out', type: 'FlowOutputNode' }], edges: [{ from: 'in.value', to: 'out.value' }] };
    await writeFile(file, JSON.stringify(flow));
    const created = await fireflow([...transport, 'flows', 'push', dir]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.lines).toContainEqual(expect.stringMatching(new RegExp(`^created\\s+${flowId}\\s+v1\\s+${file}$`)));
    const unchanged = await fireflow([...transport, 'flows', 'push', dir, '--json']);
    expect(JSON.parse(unchanged.stdout)).toEqual({ dryRun: false, items: [{ flowId, file, action: 'unchanged', version: 1, previousVersion: 1 }] });
    await writeFile(file, JSON.stringify({ ...flow, name: 'Pushed again' }));
    const updated = await fireflow([...transport, 'flows', 'push', dir]);
    expect(updated.lines).toContainEqual(expect.stringMatching(new RegExp(`^updated\\s+${flowId}\\s+v1 → v2\\s`)));
    expect(updated.lines.at(-1)).toBe('0 created, 1 updated, 0 unchanged');
  });

  it('runs a flow with --follow: progress lines, done/total, then the output; exit 0', async () => {
    const run = await fireflow([...transport, 'run', 'orders-sync', '--follow', '--input', JSON.stringify({ orders: [{ amount: 5, customer: 'ann' }, { amount: 7, customer: 'bo' }] })]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.lines[0]).toMatch(/^started [0-9a-f-]{36}$/);
    expect(run.lines).toContainEqual(expect.stringMatching(/^\+[\d.]+m?s lock started \(FFDBLockAcquireNode\) \[\d\/5\]$/));
    expect(run.lines).toContainEqual(expect.stringMatching(/ out completed \[5\/5\]$/));
    expect(outputOf(run.lines)).toEqual({ orders: 2, total: 12, customers: ['ann', 'bo'] });
  });

  it('exits 3 with one clear line when the API cannot be reached', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const run = await fireflow([...transport, 'executions', 'get', 'any'], { env: { FIREFLOW_API_URL: closed, LAMBDA_ENDPOINT: closed } });
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(new RegExp(`^cannot reach .*${closed.replaceAll('.', '\\.')} \\(ECONNREFUSED\\): is it running \\(npm start\\)\\?`));
  });
});

describe('fireflow over both transports, one command each', () => {
  it('exits 1 with the error when the followed execution fails; redrive over --lambda then completes it', async () => {
    const scenario = `down-${randomUUID()}`;
    payments.down.add(scenario);
    const run = await fireflow(['run', 'charge-payment', '--follow', '--input', JSON.stringify({ paymentsUrl: `${payments.url}/${scenario}`, orderId: 'o-1', amount: 10, currency: 'EUR' })]);
    expect(run.code).toBe(1);
    expect(run.lines).toContainEqual(expect.stringMatching(/ charge attempt 1 failed \(HttpError: .*503.*\); retrying in /));
    expect(run.lines.at(-1)).toMatch(/^failed in [\d.]+m?s: HttpError: .*503.* \(node charge\)$/);
    expect(payments.calls.get(scenario)).toBe(5);

    // The payments API is back: redrive runs the failed call again, and only it.
    payments.down.delete(scenario);
    const executionId = /^started (\S+)$/.exec(run.lines[0] ?? '')?.[1] as string;
    const redriven = await fireflow(['--lambda', 'executions', 'redrive', executionId, '--follow']);
    expect(redriven.code, redriven.stderr).toBe(0);
    expect(redriven.lines[0]).toBe(`redriven ${executionId} (redrive 1)`);
    expect(redriven.lines).not.toContainEqual(expect.stringMatching(/ endpoint started/));
    expect(outputOf(redriven.lines)).toEqual({ chargeId: 'ch_6', amount: 10, currency: 'EUR' });
  });

  it('the approval: a signal over --lambda reaches the waiting node; events --follow --json shows it to the end', async () => {
    const started = JSON.parse((await fireflow(['--json', 'run', 'expense-approval', '--input', '{"amount": 120}'])).stdout);
    expect(started).toEqual({ executionId: expect.any(String), status: 'created' });
    const payload = path.join(folder, `approval-${started.executionId}.json`);
    await writeFile(payload, JSON.stringify({ approved: false, approver: 'kim', comment: 'over budget' }));
    const [signal, followed] = await Promise.all([
      fireflow(['executions', 'signal', started.executionId, 'approval', '--lambda', '--payload', `@${payload}`, '--signal-id', 'once']),
      fireflow(['executions', 'events', started.executionId, '--follow', '--json']),
    ]);
    expect(signal.code, signal.stderr).toBe(0);
    expect(signal.lines).toEqual([`signal "approval" accepted by ${started.executionId}`]);
    expect(followed.code, followed.stderr).toBe(0);
    const documents = followed.lines.map((line) => JSON.parse(line));
    expect(documents.slice(0, -1).map((event) => event.index)).toEqual(documents.slice(0, -1).map((_event, index) => index));
    expect(documents).toContainEqual(expect.objectContaining({ type: 'node:waiting', nodeId: 'wait' }));
    expect(documents.at(-1)).toMatchObject({ executionId: started.executionId, status: 'completed', output: { decision: 'rejected', approver: 'kim', reason: 'over budget' } });
  });

  it('locks: acquired over HTTP, refused over --lambda, read, released over --lambda; `locks get --lambda` needs HTTP (exit 2)', async () => {
    const key = `cli:${randomUUID()}`;
    const grant = JSON.parse((await fireflow(['locks', 'acquire', key, '--ttl', '30000', '--json'])).stdout);
    expect(grant).toEqual({ acquired: true, lockId: expect.any(String), fencingToken: expect.any(Number) });
    const [refused, held, overLambda] = await fireflowInTurn([
      ['--lambda', 'locks', 'acquire', key, '--ttl', '30000', '--wait', '0'],
      ['locks', 'get', key],
      ['--lambda', 'locks', 'get', key],
    ]);
    expect(refused.lines).toEqual([`${key}: not acquired (held by someone else)`]);
    expect(held.lines).toEqual([expect.stringMatching(new RegExp(`^${key}: held until \\S+ \\(fencing token ${grant.fencingToken}\\)$`))]);
    expect(overLambda.code).toBe(2);
    expect(overLambda.stderr).toBe('locks get needs the HTTP API: no invoke function reads a lock. Leave out --lambda\n');
    const released = await fireflow(['locks', 'release', key, '--lambda', '--lock-id', grant.lockId]);
    expect(released.lines).toEqual([`${key}: released`]);
  });

  it('exits 2 for a flow that does not exist, for bad input, for a usage error; --help describes the options', async () => {
    const [missing, badInput, noTtl, help] = await fireflowInTurn([
      ['--lambda', 'run', 'no-such-flow'],
      ['run', 'orders-sync', '--input', '{oops'],
      ['locks', 'acquire', 'k'],
      ['run', '--help'],
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('NotFoundError: flow no-such-flow does not exist\n');
    expect(badInput.code).toBe(2);
    expect(badInput.stderr).toMatch(/^--input: not JSON \(.*\); quote a string as '"text"', or pass @file\n$/);
    expect(noTtl.code).toBe(2);
    expect(noTtl.stderr).toMatch(/required option '--ttl <ms>' not specified/);
    expect(help.code).toBe(0);
    for (const option of ['--input <json>', '--idempotency-key <key>', '--follow', '--api <url>', '--token <jwt>', '--lambda', '--stage <stage>', '--json']) expect(help.stdout).toContain(option);
  });
});

describe('fireflow over HTTP only', () => {
  it('lists flows and executions, reads a record and its events, cancels', async () => {
    const sleeper = uniqueFlowId('cli-sleeper');
    expect((await api('PUT', `/flows/${sleeper}`, { json: { nodes: [{ id: 'nap', type: 'SleepNode', inputs: { ms: 600_000 } }] } })).status).toBe(200);
    const { executionId } = (await api('POST', `/flows/${sleeper}/executions`, { json: {} })).body;
    const [flows, cancelled] = await fireflowInTurn([['flows', 'ls'], ['executions', 'cancel', executionId, '--reason', 'not today']]);
    expect(flows.lines[0]).toMatch(/^flow\s+version\s+name$/);
    expect(flows.lines).toContainEqual(expect.stringMatching(new RegExp(`^${sleeper}\\s+v1\\s*$`)));
    expect(cancelled.code).toBe(0);
    expect(cancelled.lines).toEqual([`${executionId} stopped: not today`]);
    const [listed, record, events] = await fireflowInTurn([
      ['executions', 'ls', sleeper, '--json'],
      ['executions', 'get', executionId],
      ['executions', 'events', executionId, '--follow'],
    ]);
    expect(JSON.parse(listed.stdout)).toEqual({ items: [expect.objectContaining({ executionId, status: 'stopped' })], nextCursor: null });
    expect(record.lines).toContainEqual('status     stopped');
    expect(events.code).toBe(0);
    expect(events.lines.at(-1)).toBe('execution stopped');
    expect(events.lines, events.stdout).toContainEqual(expect.stringMatching(/ flow cancelled/));
  });

  it('push --dry-run saves nothing; pull prints a flow as PUT takes it', async () => {
    const flowId = uniqueFlowId('cli-dry');
    const dir = path.join(folder, flowId);
    await mkdir(dir);
    await writeFile(path.join(dir, `${flowId}.flow.json`), JSON.stringify({ nodes: [{ id: 'in', type: 'FlowInputNode' }] }));
    const [dryRun, pulled] = await fireflowInTurn([['flows', 'push', '--dry-run', dir], ['flows', 'pull', 'orders-sync']]);
    expect(dryRun.lines).toContainEqual(expect.stringMatching(new RegExp(`^would be created\\s+${flowId}\\s+v1\\s`)));
    expect(dryRun.lines.at(-1)).toBe('dry run, nothing saved: 1 created, 0 updated, 0 unchanged');
    expect((await api('GET', `/flows/${flowId}`)).status).toBe(404);
    const { $schema, ...example } = JSON.parse(await readFile(path.join(examples, 'orders-sync.flow.json'), 'utf8'));
    expect($schema).toBe('../../docs/flow.schema.json');
    expect(JSON.parse(pulled.stdout)).toEqual(example);
  });
});

describe('fireflow graph', () => {
  it('draws a flow file and a saved flow as SVG with every node and edge, laid out as the console does', async () => {
    const file = path.join(folder, 'orders-sync.svg');
    const [fromFile, saved] = await fireflowInTurn([['graph', path.join(examples, 'orders-sync.flow.json'), '-o', file], ['graph', 'orders-sync']]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.lines).toEqual([`${path.join(examples, 'orders-sync.flow.json')}: 5 nodes drawn to ${file}`]);
    const drawn = await readFile(file, 'utf8');
    const example = JSON.parse(await readFile(path.join(examples, 'orders-sync.flow.json'), 'utf8')) as { nodes: Array<{ id: string }>; edges: Array<{ from: string; to: string }> };
    expect(drawn.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    for (const node of example.nodes) expect(drawn).toContain(`data-node-id="${node.id}"`);
    // `>` is escaped in the attribute: a DOM reads data-edge as from->to.
    for (const edge of example.edges) expect(drawn).toContain(`data-edge="${edge.from}-&gt;${edge.to}"`);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toBe(drawn);
  });
});

describe('the examples run', () => {
  it('the fan-out: resize-images runs resize-image once per image', async () => {
    const images = [{ key: 'a.png', width: 1024 }, { key: 'b.jpg', width: 200 }, { key: 'c.gif', width: 640 }];
    const run = await fireflow(['run', 'resize-images', '--follow', '--input', JSON.stringify({ images })]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.lines).toContainEqual(expect.stringMatching(/ each progress: 3\/3 items \(0 failed, 0 running\)/));
    expect(outputOf(run.lines)).toEqual({ resized: 3, failed: 0, thumbnails: ['a.thumb.png', 'b.thumb.jpg', 'c.thumb.gif'] });
  });

  it('the retried HTTP call: charge-payment rides out two 503s', async () => {
    const scenario = `flaky-2`;
    const run = await fireflow(['run', 'charge-payment', '--follow', '--input', JSON.stringify({ paymentsUrl: `${payments.url}/${scenario}`, orderId: 'o-2', amount: 25, currency: 'USD' })]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.lines.filter((line) => / charge attempt \d failed/.test(line))).toHaveLength(2);
    expect(outputOf(run.lines)).toEqual({ chargeId: 'ch_3', amount: 25, currency: 'USD' });
  });

  it('the scheduled job: example-hourly, started by a schedule tick, probes its URL', async () => {
    const tick = await invoke('scheduledTrigger', { flowId: 'example-hourly', input: { url: `${payments.url}/health` }, time: new Date().toISOString() });
    expect(tick.payload).toMatchObject({ status: 'created', created: true });
    const run = await fireflow(['executions', 'events', tick.payload.executionId, '--follow', '--json']);
    expect(JSON.parse(run.lines.at(-1) as string)).toMatchObject({ status: 'completed', output: { status: 201, checkedAt: expect.any(String) } });
  });
});

describe('help', () => {
  it('describes every command, argument and option', () => {
    const commands = (command: ReturnType<typeof program>): Array<ReturnType<typeof program>> => [command, ...command.commands.flatMap(commands)];
    const undescribed = commands(program()).flatMap((command) => [
      ...(command.description() === '' ? [command.name()] : []),
      ...command.registeredArguments.filter((argument) => argument.description === '').map((argument) => `${command.name()} <${argument.name()}>`),
      ...command.options.filter((option) => option.description === '').map((option) => `${command.name()} ${option.flags}`),
    ]);
    expect(undescribed).toEqual([]);
  });
});

describe('on a terminal', () => {
  it('follows with a live view: spinner, done/total, elapsed and each node state, redrawn in place', async () => {
    const { executionId } = (await api('POST', '/flows/orders-sync/executions', { json: { input: { orders: [{ amount: 1, customer: 'cy' }] } } })).body;
    const screen = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 30 });
    let drawn = '';
    screen.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
    const httpApi = new HttpApi(inject('httpUrl'), undefined);
    const record = await followExecution(httpApi, await httpApi.getExecution(executionId), new Output(screen as unknown as NodeJS.WriteStream));
    expect(record.status).toBe('completed');
    const frames = drawn.split('\x1b[J').map((frame) => frame.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''));
    expect(frames[0]).toMatch(new RegExp(`^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] orders-sync v\\d+ · ${executionId} · running · 0/5 nodes · \\d+ms\n  · in +FlowInputNode +pending\n`));
    expect(frames.at(-1)?.split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^✓ orders-sync v\\d+ · ${executionId} · completed · 5/5 nodes · [\\d.]+m?s$`)),
      expect.stringMatching(/^  ✓ in +FlowInputNode +completed$/),
      expect.stringMatching(/^  ✓ lock +FFDBLockAcquireNode +completed$/),
      expect.stringMatching(/^  ✓ summarise +TransformNode +completed$/),
      expect.stringMatching(/^  ✓ unlock +FFDBLockReleaseNode +completed$/),
      expect.stringMatching(/^  ✓ out +FlowOutputNode +completed$/),
      '',
    ]);
    // The cursor is hidden while it draws and shown again at the end.
    expect(drawn.startsWith('\x1b[?25l')).toBe(true);
    expect(drawn.endsWith('\x1b[?25h')).toBe(true);
  });
});

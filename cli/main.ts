import { readFileSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { config } from '../lib/config.js';
import { NotFoundError } from '../lib/errors.js';
import type { ExecutionRecord } from '../lib/executions/types.js';
import type { FlowDefinition } from '../lib/flows/definition.js';
import { canonicalJson } from '../lib/flows/PostgresFlowStore.js';
import type { FireflowApi } from './api.js';
import { CliError, EXIT, explain, type ExitCode } from './errors.js';
import { FLOW_FILE_SUFFIX } from './flowFileNames.js';
import type { CheckedFlowFile } from './flowFiles.js';
import { followExecution } from './follow.js';
import { HttpApi } from './httpApi.js';
import { duration, Output, readable } from './output.js';

// The `fireflow` command: its composition root. Global options may stand anywhere on the line.

interface GlobalOptions {
  api?: string;
  token?: string;
  lambda?: boolean;
  stage: string;
  json?: boolean;
}

interface Context {
  output: Output;
  json: boolean;
  /** The transport the options chose, made (and its code loaded) on first use: offline commands never make one. */
  api(): Promise<FireflowApi>;
}

const version = (JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

function contextOf(options: GlobalOptions): Context {
  const output = new Output(process.stdout, options.json === true);
  let api: FireflowApi | undefined;
  return {
    output,
    json: options.json === true,
    async api() {
      const settings = config();
      // The AWS SDK loads only for --lambda.
      api ??= options.lambda
        ? new (await import('./lambdaApi.js')).LambdaApi({ stage: options.stage, endpoint: settings.lambdaEndpoint })
        : new HttpApi(options.api ?? settings.cliApiUrl, options.token ?? settings.cliToken);
      return api;
    },
  };
}

/** A command's action: runs with the context and answers the exit code; failures print their lines on stderr. */
function action<Args extends unknown[]>(run: (context: Context, ...args: Args) => Promise<ExitCode | void>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const context = contextOf(command.optsWithGlobals<GlobalOptions>());
    try {
      process.exitCode = (await run(context, ...(args.slice(0, -1) as Args))) ?? EXIT.ok;
    } catch (error) {
      const { lines, exitCode } = explain(error);
      for (const line of lines) process.stderr.write(`${line}\n`);
      process.exitCode = exitCode;
    }
  };
}

const integer = (name: string, min: number) => (text: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(`${name} must be an integer of at least ${min}`);
  return value;
};

/** `--input` / `--payload`: JSON text, or `@file` holding JSON. */
async function jsonArgument(option: string, text: string): Promise<unknown> {
  if (text.startsWith('@')) {
    const file = text.slice(1);
    const source = await readFile(file, 'utf8').catch((error: Error) => {
      throw new CliError(`${option} ${text}: cannot read the file (${error.message})`, EXIT.usage);
    });
    try {
      return JSON.parse(source);
    } catch (error) {
      throw new CliError(`${option} ${text}: the file is not JSON (${(error as Error).message})`, EXIT.usage);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${option}: not JSON (${(error as Error).message}); quote a string as '"text"', or pass @file`, EXIT.usage);
  }
}

// ── flows ──────────────────────────────────────────────────────────────────────────────────────

/** The compiler and the node types load only for the commands that read flow files. */
const flowFiles = () => import('./flowFiles.js');

async function validate(context: Context, paths: string[]): Promise<ExitCode> {
  const { checkFlowFile, flowFilesIn, problemLine } = await flowFiles();
  const checked = await Promise.all((await flowFilesIn(paths)).map(checkFlowFile));
  const invalid = checked.filter((flow) => flow.problems.length > 0);
  if (context.json) {
    context.output.document({ valid: invalid.length === 0, files: checked.map(({ file, flowId, problems }) => ({ file, flowId, valid: problems.length === 0, problems })) });
  } else {
    for (const flow of checked) {
      if (flow.problems.length === 0) context.output.line(`${flow.file}: ${context.output.style('green', 'ok')} (${flow.definition?.nodes.length} nodes)`);
      for (const problem of flow.problems) process.stderr.write(`${problemLine(flow.file, problem)}\n`);
    }
    context.output.line(`${checked.length - invalid.length} of ${checked.length} flow files valid`);
  }
  return invalid.length > 0 ? EXIT.usage : EXIT.ok;
}

type PushAction = 'created' | 'updated' | 'unchanged';

/** What pushing one flow did (or, on a dry run, would do). */
interface PushResult {
  flowId: string;
  file: string;
  action: PushAction;
  /** The version it has now (on a dry run: would have). */
  version: number;
  previousVersion: number | null;
}

async function pushOne(api: FireflowApi, flow: CheckedFlowFile & { definition: NonNullable<CheckedFlowFile['definition']> }, dryRun: boolean): Promise<PushResult> {
  const stored = await api.getFlow(flow.flowId).catch((error: unknown) => {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  });
  const base = { flowId: flow.flowId, file: flow.file, previousVersion: stored?.version ?? null };
  if (stored && canonicalJson(stored.definition) === canonicalJson(flow.definition)) return { ...base, action: 'unchanged', version: stored.version };
  const action: PushAction = stored ? 'updated' : 'created';
  if (dryRun) return { ...base, action, version: (stored?.version ?? 0) + 1 };
  const saved = await api.saveFlow(flow.flowId, flow.definition);
  return { ...base, action: saved.version === stored?.version ? 'unchanged' : action, version: saved.version };
}

async function push(context: Context, folder: string, options: { dryRun?: boolean }): Promise<ExitCode> {
  const { checkFlowFile, flowFilesIn, problemLine } = await flowFiles();
  const checked = await Promise.all((await flowFilesIn([folder])).map(checkFlowFile));
  const invalid = checked.filter((flow) => flow.problems.length > 0);
  if (invalid.length > 0) {
    for (const flow of invalid) for (const problem of flow.problems) process.stderr.write(`${problemLine(flow.file, problem)}\n`);
    process.stderr.write(`nothing pushed: ${invalid.length} of ${checked.length} flow files have problems\n`);
    return EXIT.usage;
  }
  const api = await context.api();
  const results: PushResult[] = [];
  for (const flow of checked) results.push(await pushOne(api, flow as Parameters<typeof pushOne>[1], options.dryRun === true));
  if (context.json) {
    context.output.document({ dryRun: options.dryRun === true, items: results });
    return EXIT.ok;
  }
  const verb = (result: PushResult) => (options.dryRun && result.action !== 'unchanged' ? `would be ${result.action}` : result.action);
  const versions = (result: PushResult) => (result.action === 'updated' ? `v${result.previousVersion} → v${result.version}` : `v${result.version}`);
  context.output.table(['result', 'flow', 'version', 'file'], results.map((result) => [verb(result), result.flowId, versions(result), result.file]));
  const counts = (['created', 'updated', 'unchanged'] as const).map((kind) => `${results.filter((result) => result.action === kind).length} ${kind}`);
  context.output.line(`${options.dryRun ? 'dry run, nothing saved: ' : ''}${counts.join(', ')}`);
  return EXIT.ok;
}

/** `value`'s keys in `order` first (the stored definition comes back in the database's key order). */
function keysInOrder<Value extends object>(value: Value, order: string[]): Value {
  const entries = Object.entries(value);
  return Object.fromEntries([...order.flatMap((key) => entries.filter(([name]) => name === key)), ...entries.filter(([name]) => !order.includes(name))]) as Value;
}

/** A definition with its keys in the order people write flow files. */
const inAuthoringOrder = (definition: FlowDefinition): FlowDefinition =>
  keysInOrder(
    { ...definition, nodes: definition.nodes.map((node) => keysInOrder(node, ['id', 'type', 'inputs', 'timeoutMs', 'retry'])), edges: definition.edges.map((edge) => keysInOrder(edge, ['from', 'to'])) },
    ['name', 'timeoutMs', 'nodes', 'edges'],
  );

async function pull(context: Context, flowId: string, options: { output?: string }): Promise<void> {
  const flow = await (await context.api()).getFlow(flowId);
  const text = `${JSON.stringify(inAuthoringOrder(flow.definition), null, 2)}\n`;
  if (options.output) {
    await writeFile(options.output, text).catch((error: Error) => {
      throw new CliError(`${options.output}: cannot write (${error.message})`, EXIT.usage);
    });
    if (context.json) context.output.document(flow);
    else context.output.line(`${flowId} v${flow.version} written to ${options.output}`);
  } else if (context.json) context.output.document(flow);
  else context.output.write(text);
}

/**
 * A flow drawn as a standalone SVG, laid out as the console lays it out: from a flow file (read and
 * checked offline) when the argument names one, else the saved flow of that id.
 */
async function graph(context: Context, flowOrFile: string, options: { output?: string }): Promise<ExitCode | void> {
  let definition: FlowDefinition;
  if (flowOrFile.endsWith('.json') || (await stat(flowOrFile).catch(() => undefined))?.isFile()) {
    const { checkFlowFile, problemLine } = await flowFiles();
    const checked = await checkFlowFile(flowOrFile);
    if (!checked.definition) {
      for (const problem of checked.problems) process.stderr.write(`${problemLine(checked.file, problem)}\n`);
      return EXIT.usage;
    }
    definition = checked.definition;
  } else {
    definition = (await (await context.api()).getFlow(flowOrFile)).definition;
  }
  const { layoutFlow } = await import('../lib/graph/layout.js');
  const { portCatalog } = await import('../lib/graph/ports.js');
  const { renderFlowSvg } = await import('../lib/graph/svg.js');
  const svg = renderFlowSvg(await layoutFlow(definition, portCatalog()), { standalone: true });
  if (!options.output) return context.output.write(svg);
  await writeFile(options.output, svg).catch((error: Error) => {
    throw new CliError(`${options.output}: cannot write (${error.message})`, EXIT.usage);
  });
  if (context.json) context.output.document({ file: options.output, nodes: definition.nodes.length, edges: definition.edges?.length ?? 0 });
  else context.output.line(`${flowOrFile}: ${definition.nodes.length} nodes drawn to ${options.output}`);
}

async function listFlows(context: Context): Promise<void> {
  const answer = await (await context.api()).listFlows();
  if (context.json) return context.output.document(answer);
  if (answer.items.length === 0) return context.output.line('no flows saved yet (fireflow flows push <folder>)');
  context.output.table(['flow', 'version', 'name'], answer.items.map((flow) => [flow.flowId, `v${flow.version}`, flow.name ?? '']));
}

// ── executions ─────────────────────────────────────────────────────────────────────────────────

/** The end of a followed execution, as people read it; exit 1 unless it completed. */
function reportEnd(context: Context, record: ExecutionRecord): ExitCode {
  const took = record.completedAt ? ` in ${duration(Date.parse(record.completedAt) - Date.parse(record.startedAt ?? record.createdAt))}` : '';
  if (context.json) context.output.document(record);
  else if (record.status === 'completed') {
    context.output.line(`${context.output.style('green', 'completed')}${took}; output:`);
    context.output.line(readable(record.output));
  } else {
    const error = record.error;
    context.output.line(`${context.output.style('red', record.status)}${took}: ${error ? `${error.type}: ${error.message}${error.nodeId ? ` (node ${error.nodeId})` : ''}` : 'no error recorded'}`);
  }
  return record.status === 'completed' ? EXIT.ok : EXIT.executionFailed;
}

async function run(context: Context, flowId: string, options: { input?: string; idempotencyKey?: string; follow?: boolean }): Promise<ExitCode> {
  const input = options.input === undefined ? undefined : await jsonArgument('--input', options.input);
  const api = await context.api();
  const started = await api.startExecution(flowId, { ...(input === undefined ? {} : { input }), ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }) });
  if (!options.follow) {
    if (context.json) context.output.document(started);
    else context.output.line(`${started.executionId} ${started.status} (fireflow executions events ${started.executionId} --follow)`);
    return EXIT.ok;
  }
  if (!context.json) context.output.line(`started ${started.executionId}`);
  return reportEnd(context, await followExecution(api, await api.getExecution(started.executionId), context.output));
}

const statusLine = (record: ExecutionRecord) =>
  [record.executionId, record.status, `v${record.flowVersion}`, record.createdAt, record.completedAt ? duration(Date.parse(record.completedAt) - Date.parse(record.createdAt)) : '', record.error ? `${record.error.type}: ${record.error.message}` : ''];

async function listExecutions(context: Context, flowId: string, options: { limit?: number; cursor?: string }): Promise<void> {
  const page = await (await context.api()).listExecutions(flowId, { ...(options.limit === undefined ? {} : { limit: options.limit }), ...(options.cursor === undefined ? {} : { cursor: options.cursor }) });
  if (context.json) return context.output.document(page);
  context.output.table(['execution', 'status', 'version', 'created', 'took', 'error'], page.items.map(statusLine));
  if (page.nextCursor) context.output.line(`more: fireflow executions ls ${flowId} --cursor ${page.nextCursor}`);
}

async function getExecution(context: Context, executionId: string): Promise<void> {
  const record = await (await context.api()).getExecution(executionId);
  if (context.json) return context.output.document(record);
  const fields: Array<[string, unknown]> = [
    ['execution', record.executionId],
    ['flow', `${record.flowId} v${record.flowVersion}`],
    ['status', record.status],
    ['created', record.createdAt],
    ['started', record.startedAt],
    ['completed', record.completedAt],
    ['redrives', record.redriveCount],
    ...(record.parentExecutionId ? ([['parent', `${record.parentExecutionId} (node ${record.parentNodeId})`]] as Array<[string, unknown]>) : []),
    ['input', readable(record.input)],
    [record.error ? 'error' : 'output', readable(record.error ?? record.output)],
  ];
  for (const [name, value] of fields) context.output.line(`${name.padEnd(10)} ${value ?? '-'}`);
}

async function events(context: Context, executionId: string, options: { follow?: boolean; after?: number }): Promise<ExitCode | void> {
  const api = await context.api();
  if (options.follow) {
    const record = await followExecution(api, await api.getExecution(executionId), context.output, options.after ?? -1);
    if (context.json) context.output.document(record);
    else context.output.line(`execution ${record.status}`);
    return;
  }
  const page = await api.getEvents(executionId, options.after ?? -1, 0);
  if (context.json) return context.output.document(page);
  for (const event of page.events) context.output.line(`${String(event.index).padStart(4)}  ${event.timestamp}  ${event.type.padEnd(18)} ${event.nodeId ?? ''}${event.data === undefined ? '' : `  ${JSON.stringify(event.data)}`}`);
  if (!page.done) context.output.line(`(more may come: fireflow executions events ${executionId} --after ${page.nextAfter} [--follow])`);
}

async function cancel(context: Context, executionId: string, options: { reason?: string }): Promise<void> {
  const record = await (await context.api()).cancelExecution(executionId, options.reason);
  if (context.json) context.output.document(record);
  else context.output.line(`${record.executionId} ${record.status}${record.error ? `: ${record.error.message}` : ''}`);
}

/** The index of the execution's last event so far (-1 when it has none). */
async function lastEventIndex(api: FireflowApi, executionId: string): Promise<number> {
  let after = -1;
  for (;;) {
    const page = await api.getEvents(executionId, after, 0);
    after = page.nextAfter;
    if (page.done || page.events.length === 0) return after;
  }
}

async function redrive(context: Context, executionId: string, options: { follow?: boolean }): Promise<ExitCode> {
  const api = await context.api();
  // Followed from here on: the events before belong to the runs that ended.
  const before = options.follow ? await lastEventIndex(api, executionId) : -1;
  const answer = await api.redriveExecution(executionId);
  if (!options.follow) {
    if (context.json) context.output.document(answer);
    else context.output.line(`${answer.executionId} ${answer.status} (redriven)`);
    return EXIT.ok;
  }
  const record = await api.getExecution(executionId);
  if (!context.json) context.output.line(`redriven ${record.executionId} (redrive ${record.redriveCount})`);
  return reportEnd(context, await followExecution(api, record, context.output, before));
}

async function signal(context: Context, executionId: string, name: string, options: { payload?: string; signalId?: string }): Promise<void> {
  const payload = options.payload === undefined ? undefined : await jsonArgument('--payload', options.payload);
  const answer = await (await context.api()).sendSignal(executionId, name, { ...(payload === undefined ? {} : { payload }), ...(options.signalId === undefined ? {} : { signalId: options.signalId }) });
  if (context.json) context.output.document(answer);
  else context.output.line(`signal "${name}" accepted by ${executionId}`);
}

// ── locks ──────────────────────────────────────────────────────────────────────────────────────

async function getLock(context: Context, lockKey: string): Promise<void> {
  const state = await (await context.api()).inspectLock(lockKey);
  if (context.json) return context.output.document(state);
  context.output.line(state.held ? `${lockKey}: held until ${state.expiresAt} (fencing token ${state.fencingToken})` : `${lockKey}: free${state.fencingToken === undefined ? '' : ` (last fencing token ${state.fencingToken})`}`);
}

async function acquireLock(context: Context, lockKey: string, options: { ttl: number; wait?: number }): Promise<void> {
  const grant = await (await context.api()).acquireLock(lockKey, options.ttl, options.wait ?? 0);
  if (context.json) return context.output.document(grant);
  if (!grant.acquired) return context.output.line(`${lockKey}: not acquired (held by someone else${options.wait ? ` for the whole ${duration(options.wait)}` : ''})`);
  context.output.line(`${lockKey}: acquired for ${duration(options.ttl)}, fencing token ${grant.fencingToken}`);
  context.output.line(`lock id ${grant.lockId} (fireflow locks release ${lockKey} --lock-id ${grant.lockId})`);
}

async function releaseLock(context: Context, lockKey: string, options: { lockId: string }): Promise<void> {
  const answer = await (await context.api()).releaseLock(lockKey, options.lockId);
  if (context.json) return context.output.document(answer);
  context.output.line(answer.released ? `${lockKey}: released` : `${lockKey}: not released (that lock id does not hold it, or its lease ended)`);
}

// ── the program ────────────────────────────────────────────────────────────────────────────────

export function program(): Command {
  const root = new Command('fireflow')
    .description('FireFlow from the terminal: validate and push flow files, run flows and watch them, signal, redrive, locks.')
    .version(version)
    .option('--api <url>', 'the HTTP API (default: FIREFLOW_API_URL, else http://localhost:3000)')
    .option('--token <jwt>', 'a JWT for the HTTP API, sent as a bearer token (default: FIREFLOW_TOKEN)')
    .option('--lambda', 'call the invoke functions with @aws-sdk/client-lambda instead (LAMBDA_ENDPOINT for a local stack)')
    .option('--stage <stage>', 'the stage of the invoke functions, fireflow-<stage>-<name>', 'dev')
    .option('--json', 'print machine-readable JSON: the API answer; with --follow, one event per line, then the record')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError('(fireflow <command> --help for its options)')
    .exitOverride();
  root.addHelpText('after', `
Exit codes: 0 done; 1 the execution that run or redrive followed failed or was stopped;
2 usage, validation, not found or conflict; 3 the API could not be reached or answered 5xx.`);

  const flows = root.command('flows').description('flow files and saved flows');
  flows
    .command('validate')
    .description('check flow files offline with the same compiler as the API; every problem as file: field: message')
    .argument('<paths...>', `flow files, or folders of *${FLOW_FILE_SUFFIX} files`)
    .action(action(validate));
  flows
    .command('push')
    .description(`save every *${FLOW_FILE_SUFFIX} file of a folder (flow id = file name); only what changed gets a new version`)
    .argument('<folder>', 'the folder of flow files')
    .option('--dry-run', 'say what would be created or updated, save nothing')
    .action(action(push));
  flows
    .command('pull')
    .description('print a saved flow as PUT /flows/{flowId} takes it')
    .argument('<flowId>', 'the flow')
    .option('-o, --output <file>', 'write it to this file instead')
    .action(action(pull));
  flows.command('ls').description('list saved flows with their newest versions').action(action(listFlows));

  root
    .command('run')
    .description('start an execution of a flow (its newest version); with --follow, watch it to its end')
    .argument('<flowId>', 'the flow')
    .option('--input <json>', "the execution's input: JSON, or @file")
    .option('--idempotency-key <key>', 'the same key for the same flow answers the same execution')
    .option('--follow', 'show live progress (node states, done/total, elapsed) until it ends, then the output; exit 1 if it failed')
    .action(action(run));

  root
    .command('graph')
    .description('draw a flow as SVG, laid out as the web console lays it out')
    .argument('<flowOrFile>', 'a saved flow id, or a flow file (*.flow.json)')
    .option('-o, --output <file>', 'write the SVG to this file instead of printing it')
    .action(action(graph));
  const executions = root.command('executions').description('executions: list, read, events, cancel, redrive, signal');
  executions
    .command('ls')
    .description("a flow's executions, newest first")
    .argument('<flowId>', 'the flow')
    .option('--limit <n>', 'how many (1…100, default 20)', integer('--limit', 1))
    .option('--cursor <cursor>', 'the next page, as the previous one said')
    .action(action(listExecutions));
  executions.command('get').description('an execution record').argument('<executionId>', 'the execution').action(action(getExecution));
  executions
    .command('events')
    .description("an execution's events; with --follow, until it ends")
    .argument('<executionId>', 'the execution')
    .option('--after <index>', 'only events after this index (default -1: all)', integer('--after', -1))
    .option('--follow', 'keep reading, with live progress, until the execution ends')
    .action(action(events));
  executions
    .command('cancel')
    .description('cancel an execution (one that ended stays as it is)')
    .argument('<executionId>', 'the execution')
    .option('--reason <text>', 'why, recorded as its error message')
    .action(action(cancel));
  executions
    .command('redrive')
    .description('run a failed or stopped execution again from where it ended')
    .argument('<executionId>', 'the execution')
    .option('--follow', 'watch it to its end; exit 1 if it failed again')
    .action(action(redrive));
  executions
    .command('signal')
    .description('send a signal to an execution (a WaitForSignalNode waiting for it takes it)')
    .argument('<executionId>', 'the execution')
    .argument('<name>', 'the signal name')
    .option('--payload <json>', 'what the node receives: JSON, or @file')
    .option('--signal-id <id>', 'the same id is delivered once')
    .action(action(signal));

  const locks = root.command('locks').description('distributed named locks');
  locks.command('get').description('whether a lock is held, until when, its fencing token').argument('<key>', 'the lock key').action(action(getLock));
  locks
    .command('acquire')
    .description('acquire a lock; prints the lock id that releases it')
    .argument('<key>', 'the lock key')
    .addOption(new Option('--ttl <ms>', 'the lease, in milliseconds').argParser(integer('--ttl', 1)).makeOptionMandatory())
    .option('--wait <ms>', 'how long to wait for it (default 0: try once)', integer('--wait', 0))
    .action(action(acquireLock));
  locks
    .command('release')
    .description('release a lock held by a lock id')
    .argument('<key>', 'the lock key')
    .requiredOption('--lock-id <id>', 'the lock id acquire printed')
    .action(action(releaseLock));
  return root;
}

/** Runs the command line; answers the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? EXIT.ok);
  } catch (error) {
    // Commander has printed its message (or the help) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }
}

import { ValidationError, type FieldProblem } from './errors.js';
import { DEFAULT_FLOW_LIMITS, type FlowLimits } from './limits.js';

/**
 * Every setting FireFlow reads from the environment, with its default. This is the only place
 * that reads process.env; the README's configuration table mirrors it.
 */
export interface FireflowConfig {
  /** PostgreSQL connection string (DATABASE_URL). Required by anything that talks to the database. */
  databaseUrl: string | undefined;
  /**
   * Secrets Manager secret (RDS's JSON format) whose `password` completes connection strings that
   * carry none (DATABASE_SECRET_ARN): how Lambdas get the password. Default none.
   */
  databaseSecretArn: string | undefined;
  /** Pool size per process (DB_POOL_MAX). Default 1 in Lambda (the lock listener is the second connection), 10 elsewhere. */
  dbPoolMax: number;
  /** Where lock waiters LISTEN (LOCK_LISTEN_URL). Default DATABASE_URL; point it past RDS Proxy, see README. */
  lockListenUrl: string | undefined;
  /** Most connections listening for lock releases at once, across all processes (LOCK_LISTEN_MAX_CONNECTIONS). Default 20. */
  lockListenMaxConnections: number;
  /** Longest a lock waiter sleeps between attempts when no notification arrives (LOCK_POLL_INTERVAL_MS). Default 500. */
  lockPollIntervalMs: number;
  /** How long the listener connection stays open without waiters (LOCK_LISTENER_IDLE_MS). Default 0 in Lambda, 5000 elsewhere. */
  lockListenerIdleMs: number;
  /** How long a free or expired lock row is kept before the sweeper deletes it (LOCK_SWEEP_GRACE_MS). Default 600000. */
  lockSweepGraceMs: number;
  /** Lowest log level written (LOG_LEVEL: debug, info, warn, error). Default info. */
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Deployment stage (STAGE). Default dev. */
  stage: string;
  /** Endpoint for LambdaInvokeNode's client (LAMBDA_ENDPOINT), e.g. the local invoke endpoint. Default: AWS. */
  lambdaEndpoint: string | undefined;
  /** Worker: global limit of executions running at once, across all workers (QUEUE_CONCURRENCY). Default 100. */
  queueConcurrency: number;
  /** Worker: limit of executions running at once in one worker process (WORKER_CONCURRENCY). Default 20. */
  workerConcurrency: number;
  /** Worker: its DBOS executor ID (WORKER_ID). Default: the ECS task ID, else host-pid. */
  workerId: string | undefined;
  /** The release's application version, pinned so its workers recover each other's work (APP_VERSION). Default fireflow-1. */
  appVersion: string;
  /** Worker: the ECS task metadata endpoint, set by ECS (ECS_CONTAINER_METADATA_URI_V4); the task ID names the executor. */
  ecsMetadataUri: string | undefined;
  /** Worker: how often it beats and looks for dead workers (WORKER_HEARTBEAT_MS). Default 5000. */
  workerHeartbeatMs: number;
  /** Worker: a worker silent this long is dead and its executions are resumed elsewhere (WORKER_DEAD_AFTER_MS). Default 20000. */
  workerDeadAfterMs: number;
  /** Worker: how long stop() lets running executions finish before handing them back (WORKER_STOP_TIMEOUT_MS). Default 100000 (ECS allows 120 s). */
  workerStopTimeoutMs: number;
  /** Worker: the queue's dispatch polling interval (QUEUE_POLL_MS). Default 20. */
  queuePollMs: number;
  /** Worker: port of its /health and /ready endpoints (WORKER_HEALTH_PORT). Default 8080; 0 turns them off. */
  workerHealthPort: number;
  /** Worker: how long its own statements wait out a database outage (WORKER_DB_RETRY_MS). Default 300000. */
  workerDbRetryMs: number;
  /** Worker: timeout of executions whose flow sets none (EXECUTION_TIMEOUT_MS). Default 86400000. */
  executionTimeoutMs: number;
  /** Days an ended root execution is kept before the execution janitor deletes it with all of its history (EXECUTION_RETENTION_DAYS). Default 30; 0 keeps everything. */
  executionRetentionDays: number;
  /** What a flow may use (EXPRESSION_TIMEOUT_MS 1000, EXPRESSION_MAX_DEPTH 500, MAX_NODE_OUTPUT_BYTES 1048576, HTTP_TIMEOUT_MS 30000, MAX_DESCENDANTS 25000). */
  flowLimits: FlowLimits;
  /** Worker: heap of each thread that evaluates JSONata (EXPRESSION_MAX_MEMORY_MB). Default 256, at least 128. */
  expressionMaxMemoryMb: number;
  /**
   * Worker: where `{"$secret": name}` static inputs come from (FLOW_SECRETS_FROM): `secrets-manager`
   * (`fireflow/<stage>/<name>`; the default on ECS) or `environment` (FIREFLOW_SECRET_<NAME>; the default elsewhere).
   */
  flowSecretsFrom: 'secrets-manager' | 'environment';
  /** Worker: the FIREFLOW_SECRET_* variables, for `environment` secrets. */
  flowSecretValues: Record<string, string>;
  /** Worker: networks (CIDRs) HttpRequestNode may reach besides public addresses (HTTP_ALLOWED_NETWORKS, comma-separated). Default none. */
  httpAllowedNetworks: string[];
  /** Local stack: port of the HTTP API (HTTP_PORT). Default 3000. */
  httpPort: number;
  /** Local stack: port of the Lambda invoke endpoint (LAMBDA_PORT). Default 3002. */
  lambdaPort: number;
  /** Command line: the HTTP API it talks to (FIREFLOW_API_URL). Default http://localhost:3000. */
  cliApiUrl: string;
  /** Command line: a JWT sent as `Authorization: Bearer …` (FIREFLOW_TOKEN). Default none. */
  cliToken: string | undefined;
  /** True inside AWS Lambda (AWS_LAMBDA_FUNCTION_NAME is set). */
  inLambda: boolean;
}

/**
 * Reads environment variables, collecting every problem (named `env.NAME`) before failing. A
 * small reader rather than a zod schema: every Lambda reads its configuration during its cold
 * start, where building a schema of two dozen settings costs more than reading them.
 */
class EnvReader {
  private readonly problems: FieldProblem[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** The variable's value; unset and empty are alike. */
  text(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  integer(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const text = this.text(name);
    if (text === undefined) return fallback;
    const value = Number(text.trim());
    if (!Number.isInteger(value)) return this.problem(name, 'must be a whole number', fallback);
    if (value < min) return this.problem(name, `must be at least ${min}`, fallback);
    if (value > max) return this.problem(name, `must be at most ${max}`, fallback);
    return value;
  }

  oneOf<Value extends string>(name: string, values: readonly Value[], fallback: Value): Value {
    const text = this.text(name);
    if (text === undefined) return fallback;
    return (values as readonly string[]).includes(text) ? (text as Value) : this.problem(name, `must be one of ${values.join(', ')}`, fallback);
  }

  url(name: string): string | undefined {
    const text = this.text(name);
    return text === undefined || URL.canParse(text) ? text : this.problem(name, 'must be a URL', undefined);
  }

  /** Throws a ValidationError listing every problem found, if any. */
  check(): void {
    if (this.problems.length > 0) throw new ValidationError(this.problems);
  }

  private problem<T>(name: string, message: string, fallback: T): T {
    this.problems.push({ field: `env.${name}`, message });
    return fallback;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): FireflowConfig {
  const read = new EnvReader(env);
  const inLambda = read.text('AWS_LAMBDA_FUNCTION_NAME') !== undefined;
  const databaseUrl = read.text('DATABASE_URL');
  const settings: FireflowConfig = {
    databaseUrl,
    databaseSecretArn: read.text('DATABASE_SECRET_ARN'),
    dbPoolMax: read.integer('DB_POOL_MAX', inLambda ? 1 : 10, 1),
    lockListenUrl: read.text('LOCK_LISTEN_URL') ?? databaseUrl,
    lockPollIntervalMs: read.integer('LOCK_POLL_INTERVAL_MS', 500, 10),
    lockListenMaxConnections: read.integer('LOCK_LISTEN_MAX_CONNECTIONS', 20, 1, 10_000),
    lockListenerIdleMs: read.integer('LOCK_LISTENER_IDLE_MS', inLambda ? 0 : 5000, 0),
    lockSweepGraceMs: read.integer('LOCK_SWEEP_GRACE_MS', 600_000, 1000, 2 ** 31 - 1),
    logLevel: read.oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error'], 'info'),
    stage: read.text('STAGE') ?? 'dev',
    lambdaEndpoint: read.url('LAMBDA_ENDPOINT'),
    queueConcurrency: read.integer('QUEUE_CONCURRENCY', 100, 1),
    workerConcurrency: read.integer('WORKER_CONCURRENCY', 20, 1),
    workerId: read.text('WORKER_ID'),
    appVersion: read.text('APP_VERSION') ?? 'fireflow-1',
    ecsMetadataUri: read.url('ECS_CONTAINER_METADATA_URI_V4'),
    workerHeartbeatMs: read.integer('WORKER_HEARTBEAT_MS', 5000, 100),
    workerDeadAfterMs: read.integer('WORKER_DEAD_AFTER_MS', 20_000, 500),
    workerStopTimeoutMs: read.integer('WORKER_STOP_TIMEOUT_MS', 100_000, 0),
    queuePollMs: read.integer('QUEUE_POLL_MS', 20, 5),
    workerHealthPort: read.integer('WORKER_HEALTH_PORT', 8080, 0, 65535),
    executionTimeoutMs: read.integer('EXECUTION_TIMEOUT_MS', 86_400_000, 1000),
    executionRetentionDays: read.integer('EXECUTION_RETENTION_DAYS', 30, 0, 36_500),
    workerDbRetryMs: read.integer('WORKER_DB_RETRY_MS', 300_000, 0),
    flowLimits: {
      expressionTimeoutMs: read.integer('EXPRESSION_TIMEOUT_MS', DEFAULT_FLOW_LIMITS.expressionTimeoutMs, 1, 600_000),
      expressionMaxDepth: read.integer('EXPRESSION_MAX_DEPTH', DEFAULT_FLOW_LIMITS.expressionMaxDepth, 10, 100_000),
      maxNodeOutputBytes: read.integer('MAX_NODE_OUTPUT_BYTES', DEFAULT_FLOW_LIMITS.maxNodeOutputBytes, 1024, 256 * 1024 * 1024),
      httpTimeoutMs: read.integer('HTTP_TIMEOUT_MS', DEFAULT_FLOW_LIMITS.httpTimeoutMs, 1, 900_000),
      maxDescendants: read.integer('MAX_DESCENDANTS', DEFAULT_FLOW_LIMITS.maxDescendants, 1, 10_000_000),
    },
    expressionMaxMemoryMb: read.integer('EXPRESSION_MAX_MEMORY_MB', 256, 128, 16_384),
    flowSecretsFrom: read.oneOf('FLOW_SECRETS_FROM', ['secrets-manager', 'environment'], read.text('ECS_CONTAINER_METADATA_URI_V4') ? 'secrets-manager' : 'environment'),
    flowSecretValues: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[0].startsWith('FIREFLOW_SECRET_') && entry[1] !== undefined)),
    httpAllowedNetworks: (read.text('HTTP_ALLOWED_NETWORKS') ?? '').split(',').map((network) => network.trim()).filter((network) => network !== ''),
    httpPort: read.integer('HTTP_PORT', 3000, 1, 65535),
    lambdaPort: read.integer('LAMBDA_PORT', 3002, 1, 65535),
    cliApiUrl: read.url('FIREFLOW_API_URL') ?? 'http://localhost:3000',
    cliToken: read.text('FIREFLOW_TOKEN'),
    inLambda,
  };
  read.check();
  return settings;
}

let cached: FireflowConfig | undefined;

/** The process-wide configuration, read once. */
export function config(): FireflowConfig {
  cached ??= loadConfig();
  return cached;
}

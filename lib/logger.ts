import { config } from './config.js';

const levels = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof levels;

function errorFields(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  return { name: error.name, message: error.message, stack: error.stack, cause: errorFields(error.cause) };
}

/**
 * One JSON line per entry, in the shape of AWS Lambda Powertools' Logger (`level` in capitals,
 * `message`, `timestamp`, `service`, the fields at the top level), so log queries written for
 * Powertools work on FireFlow's logs. Not Powertools itself: it adds several milliseconds to
 * every cold start (`npm run bench -- lambda` holds the init bars), for what these lines need.
 */
function write(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  if (levels[level] < levels[config().logLevel]) return;
  const { error, ...rest } = fields;
  const line = JSON.stringify({
    level: level.toUpperCase(),
    message,
    timestamp: new Date().toISOString(),
    service: 'fireflow',
    ...rest,
    ...(error === undefined ? {} : { error: errorFields(error) }),
  });
  (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(`${line}\n`);
}

/** Structured JSON logs. Pass an `error` field to log an error with its cause chain. */
export const logger = {
  debug: (message: string, fields?: Record<string, unknown>) => write('debug', message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write('info', message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write('warn', message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write('error', message, fields),
};

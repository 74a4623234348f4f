import { ApiError, FireflowError, RemoteFunctionError, ValidationError } from '../lib/errors.js';

/** The command line's exit codes. */
export const EXIT = {
  ok: 0,
  /** The execution `run` or `redrive` waited for failed or was stopped. */
  executionFailed: 1,
  /** Usage, validation, not found, conflict: anything the caller can fix (any 4xx). */
  usage: 2,
  /** The API could not be reached, or answered a 5xx. */
  unreachable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the command line explains itself: its lines go to stderr, then it exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/** What to print for a failure (one line per problem) and the exit code, for any error a command throws. */
export function explain(error: unknown): { lines: string[]; exitCode: ExitCode } {
  if (error instanceof CliError) return { lines: [error.message], exitCode: error.exitCode };
  if (error instanceof ValidationError) {
    return { lines: (error.details ?? [{ field: '(input)', message: error.message }]).map((problem) => `ValidationError: ${problem.field}: ${problem.message}`), exitCode: EXIT.usage };
  }
  if (error instanceof ApiError) return { lines: [`${error.name}: ${error.message}`], exitCode: error.statusCode < 500 ? EXIT.usage : EXIT.unreachable };
  if (error instanceof RemoteFunctionError) return { lines: [`${error.functionName} failed with ${error.errorType}: ${error.errorMessage}`], exitCode: EXIT.unreachable };
  if (error instanceof FireflowError) return { lines: [error.message], exitCode: EXIT.usage };
  return { lines: [`unexpected error: ${error instanceof Error ? error.message : String(error)}`], exitCode: EXIT.unreachable };
}

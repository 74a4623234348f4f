/** A problem with one input field, as reported to callers. */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * Base of every error FireFlow raises on purpose. Two families build on it: API errors, which
 * answer a caller, and NodeError, which a node of a running flow fails with.
 */
export abstract class FireflowError extends Error {
  readonly details?: unknown;

  constructor(message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, { cause: options?.cause });
    if (options?.details !== undefined) this.details = options.details;
  }
}

/**
 * An error answered to a caller. `name` is what a direct Lambda invoke reports as `errorType`;
 * `code` and `statusCode` are what the HTTP API answers with.
 */
export abstract class ApiError extends FireflowError {
  abstract readonly code: string;
  abstract readonly statusCode: number;
}

/**
 * Defines an API error whose `name` and `code` are the same word, set on the prototype so that
 * stack traces and structured clones carry it too.
 */
function defineApiError(code: string, statusCode: number) {
  const ErrorClass = class extends ApiError {
    readonly code = code;
    readonly statusCode = statusCode;
  };
  nameErrorClass(ErrorClass, code);
  return ErrorClass;
}

function nameErrorClass(ErrorClass: abstract new (...args: never[]) => Error, name: string): void {
  Object.defineProperty(ErrorClass, 'name', { value: name });
  Object.defineProperty(ErrorClass.prototype, 'name', { value: name, writable: true, configurable: true });
}

/**
 * How a list of field problems reads as one message, `field: message; field: message`. A direct
 * invoke's failure can carry nothing but a type and a message, so this is also how the problems
 * travel to FireflowClient, which reads them back with `problemsOfMessage`.
 */
export const messageOfProblems = (problems: readonly FieldProblem[]): string => problems.map((p) => `${p.field}: ${p.message}`).join('; ');

/** The inverse of `messageOfProblems`. */
export function problemsOfMessage(message: string): FieldProblem[] {
  return message.split('; ').map((part) => {
    const separator = part.indexOf(': ');
    return separator < 0 ? { field: '(input)', message: part } : { field: part.slice(0, separator), message: part.slice(separator + 2) };
  });
}

export class ValidationError extends defineApiError('ValidationError', 400) {
  declare readonly details?: FieldProblem[];

  constructor(problems: FieldProblem[], options?: { cause?: unknown }) {
    super(messageOfProblems(problems), { ...options, details: problems });
  }

  static forField(field: string, message: string): ValidationError {
    return new ValidationError([{ field, message }]);
  }
}

export class NotFoundError extends defineApiError('NotFoundError', 404) {}
export class ConflictError extends defineApiError('ConflictError', 409) {}
export class PayloadTooLargeError extends defineApiError('PayloadTooLargeError', 413) {}
export class UnsupportedMediaTypeError extends defineApiError('UnsupportedMediaTypeError', 415) {}
export class ServiceUnavailableError extends defineApiError('ServiceUnavailableError', 503) {}

/** A fault that is not the caller's: answered as `internal error`, its cause only logged. */
export class InternalError extends defineApiError('InternalError', 500) {
  constructor(options: { cause: unknown }) {
    super('internal error', options);
  }
}

/**
 * A Lambda function answered with a function error: `errorType` and `errorMessage` as the
 * function reported them. FireflowClient turns FireFlow's own types back into their classes.
 */
export class RemoteFunctionError extends FireflowError {
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    readonly errorMessage: string,
  ) {
    super(`${functionName} failed with ${errorType}: ${errorMessage}`, { details: { functionName, errorType } });
  }
}
nameErrorClass(RemoteFunctionError, 'RemoteFunctionError');

/** How an execution or a node failure is recorded (in records and events): SPEC's error shape. */
export interface ErrorRecord {
  type: string;
  message: string;
  nodeId?: string;
  details?: unknown;
}

/**
 * A node's failure. `type` is what flows branch on (`__errorType`) and what retry policies match:
 * `Timeout`, `HttpError`, `NetworkError`, `ExpressionError`, `InvalidInput`, `LockNotAcquired`,
 * `SubflowFailed`, `LimitExceeded`, a Lambda function's own `errorType`, an AWS SDK error's
 * name, or `FlowError` (the default, and FailNode's).
 */
export class NodeError extends FireflowError {
  constructor(
    readonly type: string,
    message: string,
    options?: { cause?: unknown; details?: unknown },
  ) {
    super(message, options);
  }

  /** Any thrown value as a NodeError: NodeErrors as they are, anything else as a `FlowError`. */
  static from(error: unknown): NodeError {
    if (error instanceof NodeError) return error;
    return new NodeError('FlowError', error instanceof Error ? error.message : String(error), { cause: error });
  }

  record(nodeId?: string): ErrorRecord {
    return {
      type: this.type,
      message: this.message,
      ...(nodeId === undefined ? {} : { nodeId }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}
nameErrorClass(NodeError, 'NodeError');

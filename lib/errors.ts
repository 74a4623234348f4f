/** A problem with one input field, as reported to callers. */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * Base of every error FireFlow reports to a caller. `name` is what a direct Lambda invoke
 * shows as `errorType`; `code` and `statusCode` are what the HTTP API answers with.
 */
export abstract class FireflowError extends Error {
  abstract readonly code: string;
  abstract readonly statusCode: number;
  readonly details?: unknown;

  constructor(message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, { cause: options?.cause });
    this.details = options?.details;
  }
}

/** Defines an error class whose `name` and `code` are the same word, set on the prototype so
 * that stack traces and structured clones (worker threads) carry it too. */
function defineError(code: string, statusCode: number) {
  const ErrorClass = class extends FireflowError {
    readonly code = code;
    readonly statusCode = statusCode;
  };
  Object.defineProperty(ErrorClass, 'name', { value: code });
  Object.defineProperty(ErrorClass.prototype, 'name', { value: code, writable: true, configurable: true });
  return ErrorClass;
}

export class ValidationError extends defineError('ValidationError', 400) {
  declare readonly details?: FieldProblem[];

  constructor(problems: FieldProblem[], options?: { cause?: unknown }) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '), { ...options, details: problems });
  }

  static forField(field: string, message: string): ValidationError {
    return new ValidationError([{ field, message }]);
  }
}

export class NotFoundError extends defineError('NotFoundError', 404) {}
export class ConflictError extends defineError('ConflictError', 409) {}
export class PayloadTooLargeError extends defineError('PayloadTooLargeError', 413) {}
export class UnsupportedMediaTypeError extends defineError('UnsupportedMediaTypeError', 415) {}
export class ServiceUnavailableError extends defineError('ServiceUnavailableError', 503) {}

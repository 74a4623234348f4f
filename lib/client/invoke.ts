import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../errors.js';

/** A function error that is none of FireFlow's own types (a timeout, a crash, an InternalError). */
export class RemoteFunctionError extends Error {
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    message: string,
  ) {
    super(`${functionName} failed with ${errorType}: ${message}`);
  }
}
Object.defineProperty(RemoteFunctionError.prototype, 'name', { value: 'RemoteFunctionError', writable: true, configurable: true });

/** "field: message; field: message" back into problems (the form ValidationError.message has). */
function problemsOf(message: string): FieldProblem[] {
  return message.split('; ').map((part) => {
    const separator = part.indexOf(': ');
    return separator < 0 ? { field: '(input)', message: part } : { field: part.slice(0, separator), message: part.slice(separator + 2) };
  });
}

function typedError(functionName: string, errorType: string, message: string): Error {
  switch (errorType) {
    case 'ValidationError':
      return new ValidationError(problemsOf(message));
    case 'NotFoundError':
      return new NotFoundError(message);
    case 'ConflictError':
      return new ConflictError(message);
    default:
      return new RemoteFunctionError(functionName, errorType, message);
  }
}

/**
 * Invokes a FireFlow function synchronously and answers its result; a failed invocation throws
 * the typed error it reported (ValidationError, NotFoundError, ConflictError), else a
 * RemoteFunctionError.
 */
export async function invokeFireflow<Result>(lambda: LambdaClient, functionName: string, payload: unknown): Promise<Result> {
  const answer = await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify(payload)) }));
  const text = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
  const body: unknown = text === '' ? null : JSON.parse(text);
  if (answer.FunctionError) {
    const { errorType, errorMessage } = (body ?? {}) as { errorType?: string; errorMessage?: string };
    throw typedError(functionName, errorType ?? answer.FunctionError, errorMessage ?? text);
  }
  return body as Result;
}


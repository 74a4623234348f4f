import type { LambdaClient } from '@aws-sdk/client-lambda';
import { invokeFunction } from '../aws/invokeFunction.js';
import { ConflictError, NotFoundError, problemsOfMessage, RemoteFunctionError, ValidationError } from '../errors.js';

/** FireFlow's own error types, back as their classes; anything else stays a RemoteFunctionError. */
function typedError(error: RemoteFunctionError): Error {
  switch (error.errorType) {
    case 'ValidationError':
      return new ValidationError(problemsOfMessage(error.errorMessage), { cause: error });
    case 'NotFoundError':
      return new NotFoundError(error.errorMessage, { cause: error });
    case 'ConflictError':
      return new ConflictError(error.errorMessage, { cause: error });
    default:
      return error;
  }
}

/**
 * Invokes a FireFlow function and answers its result; a failed invocation throws the typed error
 * it reported (ValidationError, NotFoundError, ConflictError), else a RemoteFunctionError.
 */
export async function invokeFireflow<Result>(lambda: LambdaClient, functionName: string, payload: unknown): Promise<Result> {
  try {
    return (await invokeFunction(lambda, functionName, payload)) as Result;
  } catch (error) {
    throw error instanceof RemoteFunctionError ? typedError(error) : error;
  }
}

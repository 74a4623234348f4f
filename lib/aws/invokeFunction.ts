import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { RemoteFunctionError } from '../errors.js';

/**
 * Invokes a Lambda function synchronously with a JSON payload and answers its JSON result. A
 * function error throws a RemoteFunctionError with the `errorType` and `errorMessage` the
 * function reported; the SDK's own errors (throttling, a missing function) pass through as
 * they are.
 */
export async function invokeFunction(lambda: LambdaClient, functionName: string, payload: unknown, abortSignal?: AbortSignal): Promise<unknown> {
  const answer = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify(payload ?? null)) }),
    abortSignal ? { abortSignal } : {},
  );
  const text = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
  if (answer.FunctionError) {
    const reported = parseJson(text) as { errorType?: unknown; errorMessage?: unknown } | undefined;
    const errorType = typeof reported?.errorType === 'string' ? reported.errorType : answer.FunctionError;
    const errorMessage = typeof reported?.errorMessage === 'string' ? reported.errorMessage : text;
    throw new RemoteFunctionError(functionName, errorType, errorMessage);
  }
  return text === '' ? null : JSON.parse(text);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

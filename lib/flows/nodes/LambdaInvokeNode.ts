import { NodeFailure, type NodeType } from './types.js';

/** Invokes a Lambda function synchronously; a function error fails the node with its type and message. */
export const LambdaInvokeNode: NodeType = {
  type: 'LambdaInvokeNode',
  description: 'Invokes an AWS Lambda function and resolves its result.',
  inputs: { functionName: { type: 'string', required: true }, payload: { type: 'any', default: null } },
  outputs: { result: { type: 'any' } },
  async run(inputs, context) {
    const functionName = String(inputs.functionName);
    // Loaded here, not at start-up: a Lambda that never invokes one skips the SDK's load time.
    const { InvokeCommand } = await import('@aws-sdk/client-lambda');
    const lambda = await context.services.lambda();
    let answer;
    try {
      answer = await lambda.send(
        new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify(inputs.payload ?? null)) }),
        { abortSignal: context.signal },
      );
    } catch (error) {
      throw new NodeFailure(`invoking ${functionName} failed: ${(error as Error).message}`, { cause: error });
    }
    const text = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
    const result: unknown = text === '' ? null : JSON.parse(text);
    if (answer.FunctionError) {
      const { errorType, errorMessage } = (result ?? {}) as { errorType?: string; errorMessage?: string };
      throw new NodeFailure(`${functionName} failed: ${errorType ?? answer.FunctionError}: ${errorMessage ?? text}`);
    }
    return { result };
  },
};

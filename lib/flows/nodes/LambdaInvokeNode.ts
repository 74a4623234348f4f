import { NodeError, RemoteFunctionError } from '../../errors.js';
import type { NodeType } from './types.js';

/**
 * Invokes a Lambda function synchronously. A function error fails the node with the function's
 * own `errorType`; an AWS SDK error (throttling, a missing function) with the SDK error's name.
 */
export const LambdaInvokeNode: NodeType = {
  type: 'LambdaInvokeNode',
  description: 'Invokes an AWS Lambda function and resolves its result.',
  inputs: { functionName: { type: 'string', required: true }, payload: { type: 'any', default: null } },
  outputs: { result: { type: 'any' } },
  async run(inputs, context) {
    const functionName = String(inputs.functionName);
    // Loaded here, not at start-up: a process that never invokes one skips the SDK's load time.
    const { invokeFunction } = await import('../../aws/invokeFunction.js');
    const lambda = await context.services.lambda();
    try {
      return { result: await invokeFunction(lambda, functionName, inputs.payload, context.signal) };
    } catch (error) {
      if (context.signal.aborted) throw error;
      if (error instanceof RemoteFunctionError) {
        throw new NodeError(error.errorType, `${functionName} failed: ${error.errorType}: ${error.errorMessage}`, { cause: error, details: { functionName } });
      }
      const name = error instanceof Error ? error.name : 'Error';
      throw new NodeError(name, `invoking ${functionName} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error, details: { functionName } });
    }
  },
};

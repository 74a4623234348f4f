import { databaseAnswers } from '../lib/db.js';
import { ServiceUnavailableError } from '../lib/errors.js';
import { httpHandler } from '../lib/lambda/handlers.js';
import { lambdaPool } from '../lib/lambda/services.js';

/** GET /health → 200 {ok: true} when the database answers, else 503. */
export const health = httpHandler(async () => {
  if (!(await databaseAnswers(lambdaPool()))) throw new ServiceUnavailableError('the database does not answer');
  return { body: { ok: true } };
});

import { databaseAnswers, sharedPool } from '../lib/db.js';
import { ServiceUnavailableError } from '../lib/errors.js';
import { httpHandler } from '../lib/lambda/handlers.js';

/** GET /health → 200 {ok: true} when the database answers, else 503. */
export const health = httpHandler(async () => {
  if (!(await databaseAnswers(sharedPool()))) throw new ServiceUnavailableError('the database does not answer');
  return { body: { ok: true } };
});

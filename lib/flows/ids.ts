import * as z from 'zod/mini';
import { missingOr } from '../validation.js';

// Its own module so that the Lambdas that only start and read executions do not load (and build)
// the whole flow definition schema just to check a flow id or a signal name.
export const FLOW_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** What a signal's name may be (WaitForSignalNode, the signal routes). */
export const SIGNAL_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** What a value that is not a flow (or node) id is told. */
export const ID_PROBLEM = 'must match [A-Za-z0-9_-]{1,128}';

export const flowIdSchema = z.string({ error: missingOr('must be a string') }).check(z.regex(FLOW_ID_PATTERN, { error: ID_PROBLEM }));

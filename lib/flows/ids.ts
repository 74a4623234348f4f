// Its own module so that the Lambdas that only start and read executions do not load (and build)
// the whole flow definition schema just to check a flow id.
export const FLOW_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** The value types a port may declare. `any` accepts and feeds every type. */
export type PortType = 'any' | 'boolean' | 'number' | 'string' | 'object' | 'array';

export interface PortSpec {
  type: PortType;
  /** A required input needs an edge, a static value or a default. */
  required?: boolean;
  /** Used when the input has neither an edge nor a static value. */
  default?: unknown;
}

/** The system ports every node has, besides its own. */
export const EXECUTE_PORT = '__execute';
export const SUCCESS_PORT = '__success';
export const ERROR_PORT = '__error';
export const ERROR_MESSAGE_PORT = '__errorMessage';
export const ERROR_TYPE_PORT = '__errorType';
/** The ports a failing node resolves; wiring any of them handles its failures. */
export const ERROR_PORTS: readonly string[] = [ERROR_PORT, ERROR_MESSAGE_PORT, ERROR_TYPE_PORT];

export const SYSTEM_INPUTS: Readonly<Record<string, PortSpec>> = { [EXECUTE_PORT]: { type: 'boolean' } };
export const SYSTEM_OUTPUTS: Readonly<Record<string, PortSpec>> = {
  [SUCCESS_PORT]: { type: 'boolean' },
  [ERROR_PORT]: { type: 'boolean' },
  [ERROR_MESSAGE_PORT]: { type: 'string' },
  [ERROR_TYPE_PORT]: { type: 'string' },
};

/** The port type of a JSON value (null and undefined fit every type). */
export function typeOfValue(value: unknown): PortType | 'null' {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  const type = typeof value;
  if (type === 'boolean' || type === 'number' || type === 'string') return type;
  return 'object';
}

/** Whether a value of type `from` may flow into a port of type `to`. */
export function isAssignable(from: PortType | 'null', to: PortType): boolean {
  return from === 'null' || from === 'any' || to === 'any' || from === to;
}

import jsonata from 'jsonata';

/** Functions whose result is not decided by the input: the clock, chance, and `$eval` (which may call either). */
const UNDECIDED = new Set(['now', 'millis', 'random', 'eval']);

/**
 * Whether a JSONata expression's result depends only on its input: it never names `$now`,
 * `$millis`, `$random` or `$eval`, called or not (a reference may be called later). Conservative:
 * a variable of the same name counts too. An expression that does not parse is not decided.
 */
export function isDecidedByInput(expression: string): boolean {
  let ast: unknown;
  try {
    ast = jsonata(expression).ast();
  } catch {
    return false;
  }
  return !namesAny(ast);
}

function namesAny(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(namesAny);
  if (node === null || typeof node !== 'object') return false;
  const { type, value } = node as { type?: unknown; value?: unknown };
  if (type === 'variable' && typeof value === 'string' && UNDECIDED.has(value)) return true;
  return Object.values(node).some(namesAny);
}

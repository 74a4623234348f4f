import jsonata from 'jsonata';

/** Most AST nodes of an expression evaluated in the caller's thread. */
const MAX_NODES = 64;
/** Most values and characters (counted together) of an input evaluated in the caller's thread. */
const MAX_INPUT_UNITS = 20_000;
/** Deepest an input evaluated in the caller's thread nests (a thread has a stack of its own to fail on). */
const MAX_INPUT_DEPTH = 64;

/**
 * Built-ins whose work and result grow at most linearly with their arguments. Left out: `$pad`
 * (allocates what it is asked), `$join` and `$replace` (an input separator or replacement can make
 * the result quadratic), `$keys` and `$distinct` (quadratic in JSONata), `$eval`, the higher-order
 * and regular-expression functions, and the clock and chance ones.
 */
const LINEAR_FUNCTIONS = new Set([
  'string', 'length', 'substring', 'substringBefore', 'substringAfter', 'uppercase', 'lowercase', 'trim', 'contains', 'split',
  'number', 'abs', 'floor', 'ceil', 'round', 'sum', 'max', 'min', 'average', 'count',
  'boolean', 'not', 'exists', 'type', 'lookup', 'append', 'reverse', 'merge',
]);

const LEAVES = new Set(['name', 'string', 'number', 'value', 'wildcard']);
/** Step decorations that filter, sort, group or bind: left to the threads. */
const DECORATIONS = ['stages', 'predicate', 'group', 'focus', 'index', 'tuple', 'ancestor'];

interface AstNode {
  type: string;
  value?: unknown;
  steps?: AstNode[];
  lhs?: AstNode | AstNode[][];
  rhs?: AstNode;
  expression?: AstNode;
  expressions?: AstNode[];
  condition?: AstNode;
  then?: AstNode;
  else?: AstNode;
  arguments?: AstNode[];
  procedure?: AstNode;
}

/**
 * Whether evaluating `expression` costs at most about (its size × its input's size): true for
 * paths without predicates, literals, arithmetic, comparison, `&`, conditions, blocks, object and
 * array constructors, and calls of LINEAR_FUNCTIONS. What could repeat work or data beyond that is
 * excluded: ranges, bindings, functions of its own, regular expressions, sorting, filters, `$$`
 * (which re-enters the whole input from inside a path), `**` (its subtrees overlap: the JSON of
 * all of them grows with the square of the input's depth), and a constructed value followed by
 * more path steps (each step could double what the one before built).
 */
export function hasLinearCost(expression: string): boolean {
  let ast: AstNode;
  try {
    ast = jsonata(expression).ast() as AstNode;
  } catch {
    return false;
  }
  let nodes = 0;
  const visit = (node: AstNode | undefined): boolean => {
    if (node === undefined) return true;
    nodes += 1;
    if (nodes > MAX_NODES || DECORATIONS.some((key) => key in node)) return false;
    if (LEAVES.has(node.type)) return true;
    switch (node.type) {
      case 'variable':
        return node.value === '';
      case 'path':
        return (node.steps ?? []).every((step, index, steps) => visit(step) && (index === steps.length - 1 || !constructs(step)));
      case 'binary':
        return node.value !== '..' && visit(node.lhs as AstNode) && visit(node.rhs);
      case 'unary':
        if (node.value === '-') return visit(node.expression);
        if (node.value === '[') return (node.expressions ?? []).every((item) => visit(item));
        if (node.value === '{') return (node.lhs as AstNode[][]).every((pair) => pair.every((part) => visit(part)));
        return false;
      case 'condition':
        return visit(node.condition) && visit(node.then) && visit(node.else);
      case 'block':
        return (node.expressions ?? []).every((item) => visit(item));
      case 'function':
        return (
          node.procedure?.type === 'variable' &&
          LINEAR_FUNCTIONS.has(String(node.procedure.value)) &&
          (node.arguments ?? []).every((argument) => visit(argument))
        );
      default:
        return false;
    }
  };
  return visit(ast);
}

/**
 * Whether an AST node builds an object or array anywhere within it, by a constructor or by
 * `$append` (whose result holds its arguments: one more step could double it again).
 */
function constructs(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(constructs);
  if (node === null || typeof node !== 'object') return false;
  const { type, value, procedure } = node as AstNode;
  if (type === 'unary' && (value === '[' || value === '{')) return true;
  if (type === 'function' && procedure?.value === 'append') return true;
  return Object.values(node).some(constructs);
}

/**
 * Whether `input` is small: at most MAX_INPUT_UNITS values and characters, nested at most
 * MAX_INPUT_DEPTH deep. Stops counting as soon as it is not, so the answer costs little either way.
 */
export function isSmallInput(input: unknown): boolean {
  let units = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value: input, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    units += typeof value === 'string' ? value.length + 1 : 1;
    if (units > MAX_INPUT_UNITS || depth > MAX_INPUT_DEPTH) return false;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      if (units + value.length > MAX_INPUT_UNITS) return false;
      for (const item of value) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    const entries = Object.entries(value);
    if (units + entries.length > MAX_INPUT_UNITS) return false;
    for (const [key, item] of entries) {
      units += key.length;
      stack.push({ value: item, depth: depth + 1 });
    }
  }
  return true;
}

import { afterEach, describe, expect, it } from 'vitest';
import { hasLinearCost, isSmallInput } from '../lib/expressions/cost.js';
import { ExpressionPool } from '../lib/expressions/ExpressionPool.js';
import { NodeError } from '../lib/errors.js';

// The JSONata thread pool on its own: real worker threads, real JSONata.
const limits = { timeoutMs: 300, maxDepth: 100, maxOutputBytes: 10_000 };
const pools: ExpressionPool[] = [];
const pool = (options?: ConstructorParameters<typeof ExpressionPool>[0]) => {
  const created = new ExpressionPool(options);
  pools.push(created);
  return created;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((created) => created.close()));
});

const failureOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => (error instanceof NodeError ? error.record() : error));

describe('ExpressionPool', () => {
  it('answers each evaluation with its own result, in any number at once', async () => {
    const evaluating = pool();
    const results = await Promise.all(Array.from({ length: 100 }, (_, n) => evaluating.evaluate('{"twice": n * 2, "name": "item " & $string(n)}', { n }, limits)));
    expect(results).toEqual(Array.from({ length: 100 }, (_, n) => ({ twice: n * 2, name: `item ${n}` })));
  });

  it('stops the one evaluation that never yields; the others sent with it still answer', async () => {
    const evaluating = pool({ threads: 1 });
    const [stuck, ...others] = await Promise.all([
      failureOf(evaluating.evaluate('$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /^(a+)+$/)', null, limits)),
      evaluating.evaluate('1 + 1', null, limits),
      evaluating.evaluate('"still" & " here"', null, limits),
    ]);
    expect(stuck).toMatchObject({ type: 'ExpressionError', details: { reason: 'timeout' } });
    expect(others).toEqual([2, 'still here']);
    expect(await evaluating.evaluate('$sum([1, 2, 3])', null, limits)).toBe(6);
  });

  it('fails an evaluation that outgrows the heap with reason memory, and goes on', async () => {
    const evaluating = pool({ threads: 1, maxMemoryMb: 128 });
    const wide = { ...limits, timeoutMs: 20_000, maxOutputBytes: 1_000_000 };
    // Many small values, one huge text built by doubling, one huge $pad: each stops before the heap fills.
    for (const expression of ['$count([1..10000000].{"n": $})', `($s := "abcdefgh"; ${'$s := $s & $s; '.repeat(24)}$length($s))`, '$length($pad("", 100000000, "xy"))']) {
      expect(await failureOf(evaluating.evaluate(expression, null, wide)), expression).toMatchObject({ type: 'ExpressionError', details: { reason: 'memory' } });
    }
    expect(await evaluating.evaluate('"ok"', null, limits)).toBe('ok');
  });

  it('names the limit a result, a depth or a syntax error went past', async () => {
    const evaluating = pool();
    expect(await failureOf(evaluating.evaluate('[1..5000]', null, limits))).toMatchObject({ type: 'LimitExceeded', details: { setting: 'MAX_NODE_OUTPUT_BYTES', limit: 10_000 } });
    expect(await failureOf(evaluating.evaluate('($f := function($x){ 1 + $f($x) }; $f(1))', null, limits))).toMatchObject({ type: 'ExpressionError', details: { reason: 'depth' } });
    expect(await failureOf(evaluating.evaluate('$undefinedFunction(', null, limits))).toMatchObject({ type: 'ExpressionError', message: expect.stringMatching(/^JSONata failed: .*at character/) });
    expect(await evaluating.evaluate('nothing.here', { other: 1 }, limits)).toBeNull();
  });

  it('answers a cheap expression at once, even while every thread is stuck', async () => {
    const evaluating = pool({ threads: 1 });
    const settled: string[] = [];
    const stuck = failureOf(evaluating.evaluate('$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /^(a+)+$/)', null, limits)).then((failure) => {
      settled.push('stuck');
      return failure;
    });
    const cheap = evaluating.evaluate('{"url": base & "/a", "ok": answer.ok = true}', { base: 'http://x', answer: { ok: true } }, limits).then((result) => {
      settled.push('cheap');
      return result;
    });
    expect(await cheap).toEqual({ url: 'http://x/a', ok: true });
    expect(await stuck).toMatchObject({ type: 'ExpressionError', details: { reason: 'timeout' } });
    expect(settled).toEqual(['cheap', 'stuck']);
  });

  it('holds a cheap expression to the same limits as a thread does', async () => {
    const evaluating = pool();
    const text = 'x'.repeat(4_000);
    expect(await failureOf(evaluating.evaluate('$string($) & $string($) & $string($)', text, limits))).toMatchObject({ type: 'ExpressionError', details: { reason: 'memory' } });
    expect(await failureOf(evaluating.evaluate('[$, $, $]', text, limits))).toMatchObject({ type: 'LimitExceeded', details: { setting: 'MAX_NODE_OUTPUT_BYTES', actual: 12_010 } });
    expect(await failureOf(evaluating.evaluate('$number("nope") + 1', null, limits))).toMatchObject({ type: 'ExpressionError', message: expect.stringMatching(/^JSONata failed: /) });
  });
});

describe('hasLinearCost', () => {
  it.each([
    'base & "/a"',
    'ok = true',
    '{"n": $}',
    '{"result": $, "items": [a, b, c]}',
    'order.lines.{"sku": sku, "total": price * quantity}',
    'a.b.c > 3 ? "big" : "small"',
    '$uppercase(customer.name) & " (" & $string($count(orders)) & ")"',
    'items.*.id',
  ])('%s: evaluated where it is asked for', (expression) => {
    expect(hasLinearCost(expression)).toBe(true);
  });

  it.each([
    ['a range', '[1..1000000]'],
    ['a filter', 'items[price > 10]'],
    ['$$ inside a path', 'items.$$.items'],
    ['a function of its own', '(function($x){ $x })(1)'],
    ['a binding', '($a := 1; $a)'],
    ['a regular expression', '$contains(name, /a+/)'],
    ['a built-in that allocates what it is asked', '$pad("", 100)'],
    ['a built-in that can square its input', '$join(items, sep)'],
    ['steps after a constructed value', '{"a": $, "b": $}.{"a": $, "b": $}'],
    ['steps after an appended value', '$append($, $).$append($, $)'],
    ['a walk of every subtree', 'a.**'],
    ['sorting', 'items^(price)'],
    ['a higher-order function', '$map(items, $string)'],
    ['an expression too large to look at', Array.from({ length: 40 }, (_, n) => `a${n}`).join(' + ')],
    ['a syntax error', '$nope('],
  ])('%s goes to a thread', (_what, expression) => {
    expect(hasLinearCost(expression)).toBe(false);
  });

  it('looks at an input only as far as it needs to', () => {
    expect(isSmallInput({ base: 'http://localhost', items: [1, 2, 3] })).toBe(true);
    expect(isSmallInput('x'.repeat(30_000))).toBe(false);
    expect(isSmallInput(Array.from({ length: 1_000_000 }, (_, n) => n))).toBe(false);
    const deep = Array.from({ length: 100 }).reduce<unknown>((inner) => ({ b: inner }), null);
    expect(isSmallInput(deep)).toBe(false);
  });
});

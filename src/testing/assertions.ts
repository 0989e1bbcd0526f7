/**
 * How the testing kit says that the code under test disagrees with its
 * model: a `ModelMismatch` error, thrown from a command's `run` so that
 * fast-check records the failure and shrinks it. The kit depends on no
 * test runner (no `expect`), so it works under vitest, jest, node:test or
 * a plain script.
 *
 * `isKernelBug` recognises mmsim's `KernelBug` by name rather than by
 * class, so that an error thrown by code compiled against another copy of
 * mmsim (a CommonJS and an ESM build side by side) still counts.
 */
import { KernelBug } from '../page/errors.js';

/** The code under test disagrees with the model, or broke a rule the kit checks. */
export class ModelMismatch extends Error {
  /** The error's name. */
  override readonly name = 'ModelMismatch';
}

/**
 * Throws `ModelMismatch` with `message` unless `condition` holds.
 *
 * @example
 * ```ts
 * modelAssert(pfn % 4 === 0, () => `pfn ${pfn} is not aligned to 4 frames`);
 * ```
 */
export function modelAssert(
  condition: boolean,
  message: string | (() => string),
): asserts condition {
  if (!condition) throw new ModelMismatch(typeof message === 'string' ? message : message());
}

/**
 * Throws `ModelMismatch` unless `actual` is `expected` (`Object.is`),
 * naming `what` and both values.
 *
 * @example
 * ```ts
 * modelEqual(k.ksize(ZERO_SIZE_PTR), 0, 'ksize(ZERO_SIZE_PTR)');
 * ```
 */
export function modelEqual<T>(actual: T, expected: T, what: string): void {
  if (!Object.is(actual, expected)) {
    throw new ModelMismatch(`${what} is ${String(actual)}, expected ${String(expected)}`);
  }
}

/**
 * Whether `e` is a `KernelBug` (mmsim's misuse error), from this copy of
 * mmsim or another one.
 *
 * @example
 * ```ts
 * try { k.kfree(0x1000); } catch (e) { isKernelBug(e); } // true
 * ```
 */
export function isKernelBug(e: unknown): boolean {
  return e instanceof KernelBug || (e instanceof Error && e.name === 'KernelBug');
}

/** The first line at which two multi-line texts differ, as `- old` / `+ new`. */
export function firstDifference(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      const show = (line: string | undefined) =>
        line === undefined ? '(none)' : line.length > 200 ? `${line.slice(0, 200)}...` : line;
      return `line ${i + 1}:\n- ${show(a[i])}\n+ ${show(b[i])}`;
    }
  }
  return '(no difference)';
}

/**
 * Expects `call` to be refused: it must throw `KernelBug`, and `state()`
 * (a snapshot of everything the call must not change) must read the same
 * before and after. Throws `ModelMismatch` otherwise, naming `what`.
 *
 * @example
 * ```ts
 * expectRejected(() => k.kfree(p), () => kernelState(k), `second kfree of ${p}`);
 * ```
 */
export function expectRejected(call: () => unknown, state: () => string, what: string): void {
  const before = state();
  let threw: unknown;
  let returned: unknown;
  let didThrow = false;
  try {
    returned = call();
  } catch (e) {
    threw = e;
    didThrow = true;
  }
  if (!didThrow) {
    throw new ModelMismatch(
      `${what} should throw KernelBug, but returned ${typeof returned === 'number' ? returned : String(returned)}`,
    );
  }
  if (!isKernelBug(threw)) {
    const why = threw instanceof Error ? `${threw.name}: ${threw.message}` : String(threw);
    throw new ModelMismatch(`${what} should throw KernelBug, but threw ${why}`);
  }
  const after = state();
  if (after !== before) {
    throw new ModelMismatch(
      `${what} threw KernelBug but changed state, ${firstDifference(before, after)}`,
    );
  }
}

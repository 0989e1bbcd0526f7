/**
 * Argument checks shared by every layer's public entry points, so that a
 * hostile value (NaN, a fraction, a BigInt, a string, an object with a
 * `valueOf`, a Symbol, ...) is refused before anything is computed from it.
 *
 * The rule all of mmsim follows (docs/linux-fidelity.md, "Misuse and
 * hostile input"): an entry point checks every argument *first*, with
 * `typeof` tests that never coerce, and only then changes state. These
 * helpers do the checks and build the messages; they never convert a value
 * (`Number(x)`, `x | 0`, template literals) before it has been checked,
 * since conversion runs user code (`valueOf`, `toString`) and throws host
 * errors for a Symbol or a BigInt.
 *
 * Which error a caller throws stays the caller's choice: kernel-internal
 * functions throw `KernelBug`, system calls return `-errno`.
 */
import { KernelBug } from './errors.js';

/**
 * A value as an error message shows it, whatever its type: numbers and
 * booleans as `String` prints them, strings quoted, BigInts with their `n`,
 * and objects, arrays, functions and symbols by kind. Never runs user code
 * and never throws.
 *
 * @example
 * ```ts
 * describeValue(Number.NaN);      // 'NaN'
 * describeValue('4096');          // "'4096'"
 * describeValue(4096n);           // '4096n'
 * describeValue({ valueOf: f });  // 'an object'
 * ```
 */
export function describeValue(x: unknown): string {
  switch (typeof x) {
    case 'number':
      return Object.is(x, -0) ? '-0' : String(x);
    case 'string':
      return `'${x.length > 40 ? `${x.slice(0, 40)}...` : x}'`;
    case 'bigint':
      return `${x}n`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    case 'undefined':
      return 'undefined';
    case 'boolean':
      return String(x);
    default:
      if (x === null) return 'null';
      if (Array.isArray(x)) return 'an array';
      if (ArrayBuffer.isView(x)) return `a ${x.constructor.name}`;
      return 'an object';
  }
}

/** Whether `x` is a number that is a non-negative safe integer (no coercion). */
export function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Whether `x` is bytes mmsim will copy: a `Uint8Array`, or a plain array
 * whose every element is an integer 0..255. Array-likes (`{ length }`),
 * strings, other typed arrays and arrays holding anything else are not,
 * since copying them would silently convert (`'a'` to 0, 256 to 0).
 */
export function isByteArray(x: unknown): x is Uint8Array | readonly number[] {
  if (x instanceof Uint8Array) return true;
  if (!Array.isArray(x)) return false;
  for (let i = 0; i < x.length; i++) {
    const b: unknown = x[i];
    if (!(typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255)) return false;
  }
  return true;
}

/**
 * Throws `KernelBug` unless `bytes` passes {@link isByteArray}.
 *
 * @param fn - the public function, for the message
 */
export function checkByteArray(
  fn: string,
  bytes: unknown,
): asserts bytes is Uint8Array | readonly number[] {
  if (!isByteArray(bytes)) {
    throw new KernelBug(
      `${fn}: bytes is ${describeValue(bytes)}; expected a Uint8Array or an array of integers 0..255`,
    );
  }
}

/**
 * Throws `KernelBug` unless `value` is a number that a `bits`-wide store
 * can hold: an integer in `[-2**(bits-1), 2**bits)` (signed or unsigned).
 *
 * @param fn - the public function, for the message
 */
export function checkStoreValue(fn: string, value: unknown, bits: number): asserts value is number {
  if (
    !(
      typeof value === 'number' &&
      Number.isInteger(value) &&
      value >= -(2 ** (bits - 1)) &&
      value < 2 ** bits
    )
  ) {
    throw new KernelBug(`${fn}: value ${describeValue(value)} does not fit in ${bits} bits`);
  }
}

/**
 * Throws `KernelBug` unless `x` is a non-negative safe integer.
 *
 * @param fn - the public function, for the message
 * @param what - the argument's name, for the message
 */
export function checkCount(fn: string, what: string, x: unknown): asserts x is number {
  if (!isCount(x)) {
    throw new KernelBug(`${fn}: ${what} ${describeValue(x)} is not a non-negative integer`);
  }
}

/**
 * Throws `KernelBug` unless `[start, end)` is a range of whole pages
 * inside `[lo, hi)`: page-aligned integers with `lo <= start <= end <= hi`.
 * For the kernel-internal helpers that walk a range page by page, which a
 * range of garbage would send walking for ever.
 *
 * @param fn - the public function, for the message
 */
export function checkPageRange(
  fn: string,
  start: unknown,
  end: unknown,
  lo: number,
  hi: number,
  pageSize: number,
): asserts start is number {
  const ok =
    typeof start === 'number' &&
    typeof end === 'number' &&
    Number.isSafeInteger(start) &&
    Number.isSafeInteger(end) &&
    start % pageSize === 0 &&
    end % pageSize === 0 &&
    lo <= start &&
    start <= end &&
    end <= hi;
  if (!ok) {
    throw new KernelBug(
      `${fn}: [${showValue(start)}, ${showValue(end)}) is not a page-aligned range inside [${showValue(lo)}, ${showValue(hi)})`,
    );
  }
}

/** An address or length in a range message: hex for an integer, as {@link describeValue} otherwise. */
function showValue(x: unknown): string {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0
    ? `0x${x.toString(16)}`
    : describeValue(x);
}

/** Whether `x` is a page size mmsim supports: a power of two from 4096 to 65536. */
export function isPageSize(x: unknown): x is number {
  return (
    typeof x === 'number' && Number.isInteger(x) && x >= 4096 && x <= 65536 && (x & (x - 1)) === 0
  );
}

/**
 * Throws `KernelBug` unless `pageSize` passes {@link isPageSize}.
 *
 * @param fn - the public function, for the message
 */
export function checkPageSize(fn: string, pageSize: unknown): asserts pageSize is number {
  if (!isPageSize(pageSize)) {
    throw new KernelBug(
      `${fn}: page size ${describeValue(pageSize)} is not a power of two from 4096 to 65536`,
    );
  }
}

/**
 * Throws `KernelBug` unless `x` is a number that is an integer (of any
 * sign and size): the check a pure helper makes before arithmetic that a
 * BigInt would break and an object would coerce.
 *
 * @param fn - the public function, for the message
 * @param what - the argument's name, for the message
 */
export function checkInteger(fn: string, what: string, x: unknown): asserts x is number {
  if (!(typeof x === 'number' && Number.isInteger(x))) {
    throw new KernelBug(`${fn}: ${what} ${describeValue(x)} is not an integer`);
  }
}

/**
 * Argument checks shared by the replacement-policy module. Two kinds of
 * error, as the rest of mmsim uses them:
 *
 * - The trace-level API (`simulatePolicy`, `simulateTrace`, `createPolicy`,
 *   the trace generators) is ordinary library API: a wrong type throws
 *   `TypeError`, a value out of range throws `RangeError`.
 * - A policy object's methods are the kernel-internal interface the
 *   reclaim path drives: a misuse (inserting a resident page, touching a
 *   page that is not resident) throws `KernelBug`, before any state changes.
 *
 * Every message names the function, the argument and the rule broken.
 *
 * Internal to `src/vm/reclaim/policy`.
 */
import { KernelBug } from '../../../page/errors.js';

/** Shows a value in an error message. */
export function show(x: unknown): string {
  if (typeof x === 'string') return `'${x}'`;
  if (typeof x === 'bigint') return `${x}n`;
  if (Array.isArray(x)) return 'an array';
  if (x === null) return 'null';
  if (typeof x === 'object') return 'an object';
  if (typeof x === 'function') return 'a function';
  return String(x);
}

/** Whether `x` can name a page: a non-negative safe integer. */
export function isPage(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Checks that `trace` is an array (or typed array) of pages.
 * @throws TypeError if it is not array-like or an entry is not a number.
 * @throws RangeError if an entry is not a non-negative safe integer.
 */
export function checkTrace(
  fn: string,
  arg: string,
  trace: unknown,
): asserts trace is ArrayLike<number> {
  if (!Array.isArray(trace) && !(ArrayBuffer.isView(trace) && !(trace instanceof DataView)))
    throw new TypeError(`${fn}: ${arg} must be an array of pages (got ${show(trace)})`);
  const t = trace as ArrayLike<unknown>;
  for (let i = 0; i < t.length; i++) {
    const p = t[i];
    if (isPage(p)) continue;
    if (typeof p !== 'number')
      throw new TypeError(
        `${fn}: ${arg}[${i}] is ${show(p)}; pages must be numbers (non-negative safe integers)`,
      );
    throw new RangeError(`${fn}: ${arg}[${i}] is ${p}; pages must be non-negative safe integers`);
  }
}

/**
 * Checks a count that must be a positive safe integer.
 * @throws TypeError if it is not a number; RangeError if it is not a positive safe integer.
 */
export function checkPositiveInteger(fn: string, arg: string, x: unknown): asserts x is number {
  if (typeof x !== 'number')
    throw new TypeError(`${fn}: ${arg} must be a positive integer (got ${show(x)})`);
  if (!Number.isSafeInteger(x) || x <= 0)
    throw new RangeError(`${fn}: ${arg} is ${x}; it must be a positive integer`);
}

/** Checks a page given to a policy method (KernelBug: the reclaim path's interface). */
export function checkPolicyPage(fn: string, page: number): void {
  if (!isPage(page))
    throw new KernelBug(`${fn}: page ${show(page)} is not a non-negative safe integer`);
}

/** The error for a page that should be resident and is not. */
export function notResident(fn: string, page: number): KernelBug {
  return new KernelBug(`${fn}: page ${show(page)} is not resident`);
}

/** The error for inserting a page that is already resident. */
export function alreadyResident(fn: string, page: number): KernelBug {
  return new KernelBug(`${fn}: page ${page} is already resident`);
}

/**
 * Helpers the tests share for the errors mmsim reports, so that each test
 * file does not carry its own copy.
 */
import { expect } from 'vitest';
import { KernelError } from '../../src/index.js';

/** The errno code (`'EINVAL'`, ...) of the `KernelError` that `call` throws, or `'none'` when it returns. Other errors propagate. */
export function errnoOf(call: () => unknown): string {
  try {
    call();
  } catch (e) {
    if (e instanceof KernelError) return e.code;
    throw e;
  }
  return 'none';
}

/**
 * Expects a system call to return `-errno` and to leave `state()` (a
 * snapshot of everything a rejected call must not change) as it was.
 */
export function expectSyscallRejected(
  state: () => string,
  call: () => number,
  errno: number,
): void {
  const before = state();
  expect(call()).toBe(-errno);
  expect(state()).toBe(before);
}

/**
 * Arbitraries of allocation orders: valid ones (0..MAX_ORDER, biased
 * towards the small orders most allocations use and the per-CPU lists
 * serve), and the values `allocPages`/`freePages` must refuse.
 */
import fc from 'fast-check';
import { MAX_ORDER } from '../buddy/zone.js';

/**
 * An order from 0 to `max` (default `MAX_ORDER`, 10), mostly 0..3.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(order(), (o) => { const pfn = k.allocPages(GFP_KERNEL, o); ... }));
 * ```
 */
export function order(options: { readonly max?: number } = {}): fc.Arbitrary<number> {
  const max = Math.min(options.max ?? MAX_ORDER, MAX_ORDER);
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: Math.min(3, max) }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max }) },
  );
}

/**
 * An order every page allocator entry point must refuse with `KernelBug`:
 * negative, above `MAX_ORDER`, fractional, NaN or infinite.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(invalidOrder(), (o) => {
 *   expectRejected(() => k.allocPages(GFP_KERNEL, o), () => kernelState(k), `order ${o}`);
 * }));
 * ```
 */
export function invalidOrder(): fc.Arbitrary<number> {
  return fc.oneof(
    fc.integer({ min: -64, max: -1 }),
    fc.integer({ min: MAX_ORDER + 1, max: 64 }),
    fc.double({ min: 0, max: MAX_ORDER, noInteger: true, noNaN: true }),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  );
}

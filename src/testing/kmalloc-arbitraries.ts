/**
 * Arbitraries of kmalloc sizes, from the library's own size classes
 * (`kmallocClasses`): 0 (which returns `ZERO_SIZE_PTR`), every class
 * boundary and its neighbours (where an off-by-one picks the wrong cache),
 * small and mid sizes, sizes above `KMALLOC_MAX_CACHE_SIZE` (served by the
 * page allocator), and sizes above `KMALLOC_MAX_SIZE` (which must fail with
 * `null`).
 */
import fc from 'fast-check';
import { MAX_ORDER } from '../buddy/zone.js';
import { kmallocClasses } from '../slab/kmalloc-sizes.js';

/** The kmalloc limits for a page size. */
export interface KmallocLimits {
  /** `KMALLOC_MAX_CACHE_SIZE`: the largest size a kmalloc cache serves (two pages). */
  readonly maxCacheSize: number;
  /** `KMALLOC_MAX_SIZE`: the largest kmalloc (a block of MAX_ORDER). */
  readonly maxSize: number;
}

/**
 * `KMALLOC_MAX_CACHE_SIZE` and `KMALLOC_MAX_SIZE` for a page size.
 *
 * @example
 * ```ts
 * kmallocLimits(4096); // { maxCacheSize: 8192, maxSize: 4194304 }
 * ```
 */
export function kmallocLimits(pageSize = 4096): KmallocLimits {
  const classes = kmallocClasses(pageSize);
  return {
    maxCacheSize: classes[classes.length - 1]?.size ?? pageSize * 2,
    maxSize: pageSize * 2 ** MAX_ORDER,
  };
}

/** Options of {@link kmallocSize}. */
export interface KmallocSizeOptions {
  /** The machine's page size (default 4096). */
  readonly pageSize?: number;
  /**
   * The largest size generated at or below `KMALLOC_MAX_SIZE` (default:
   * `KMALLOC_MAX_SIZE`). Large sizes cost time to write and check; a
   * model-based test may cap them.
   */
  readonly maxLarge?: number;
  /** Also generate `KMALLOC_MAX_SIZE + 1` and beyond, which must return `null` (default true). */
  readonly tooLarge?: boolean;
}

/**
 * A size to pass to kmalloc: 0, class boundaries ±1, small, medium, large
 * and (unless `tooLarge: false`) too large.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(kmallocSize(), (size) => {
 *   const p = k.kmalloc(size, GFP_KERNEL | __GFP_NOWARN);
 *   if (p !== null && size > 0) expect(k.ksize(p)).toBeGreaterThanOrEqual(size);
 *   k.kfree(p);
 * }));
 * ```
 */
export function kmallocSize(options: KmallocSizeOptions = {}): fc.Arbitrary<number> {
  const pageSize = options.pageSize ?? 4096;
  const { maxCacheSize, maxSize } = kmallocLimits(pageSize);
  const maxLarge = Math.min(options.maxLarge ?? maxSize, maxSize);
  const boundaries = [
    ...new Set(kmallocClasses(pageSize).flatMap((c) => [c.size - 1, c.size, c.size + 1])),
  ].filter((s) => s >= 1 && s <= maxLarge);
  const sizes: fc.WeightedArbitrary<number>[] = [
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.constantFrom(...boundaries) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: Math.min(256, maxLarge) }) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: Math.min(maxCacheSize, maxLarge) }) },
  ];
  if (maxLarge > maxCacheSize) {
    sizes.push({ weight: 1, arbitrary: fc.integer({ min: maxCacheSize + 1, max: maxLarge }) });
  }
  if (options.tooLarge !== false) {
    sizes.push({ weight: 1, arbitrary: fc.integer({ min: maxSize + 1, max: maxSize * 4 }) });
  }
  return fc.oneof(...sizes);
}

/**
 * A size kmalloc must refuse with `KernelBug`: negative, fractional, NaN,
 * infinite or beyond `Number.MAX_SAFE_INTEGER`.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(invalidKmallocSize(), (size) => {
 *   expectRejected(() => k.kmalloc(size, GFP_KERNEL), () => kernelState(k), `kmalloc(${size})`);
 * }));
 * ```
 */
export function invalidKmallocSize(): fc.Arbitrary<number> {
  return fc.oneof(
    fc.integer({ min: -(2 ** 31), max: -1 }),
    fc.double({ min: 0, max: 1e6, noInteger: true, noNaN: true }),
    fc.constantFrom(
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      2 ** 53,
      2 ** 64,
    ),
  );
}

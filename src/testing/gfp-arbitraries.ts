/**
 * Arbitraries of GFP masks. Validity is not re-derived here: a mask is
 * valid exactly when the library's own `checkGfp` accepts it (an unsigned
 * 32-bit word, no bit outside `GFP_VALID_MASK`, at most one zone
 * modifier, not both `__GFP_MOVABLE` and `__GFP_RECLAIMABLE`), and the
 * generators are filtered through it, so that they follow the library if
 * its rules change.
 */
import fc from 'fast-check';
import {
  __GFP_COMP,
  __GFP_DMA,
  __GFP_DMA32,
  __GFP_HIGHMEM,
  __GFP_MOVABLE,
  __GFP_NOFAIL,
  __GFP_RECLAIMABLE,
  __GFP_ZERO,
  GFP_ATOMIC,
  GFP_DMA,
  GFP_DMA32,
  GFP_HIGHUSER,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  GFP_KERNEL_ACCOUNT,
  GFP_NOFS,
  GFP_NOIO,
  GFP_NOWAIT,
  GFP_USER,
  GFP_VALID_MASK,
  type Gfp,
} from '../gfp/flags.js';
import { checkGfp } from '../gfp/zone.js';

/** Whether `checkGfp` accepts `gfp`. */
export function isValidGfp(gfp: unknown): gfp is Gfp {
  try {
    checkGfp('isValidGfp', gfp as Gfp);
    return true;
  } catch {
    return false;
  }
}

/** The composites of include/linux/gfp_types.h. */
export const GFP_COMPOSITES: readonly Gfp[] = [
  GFP_KERNEL,
  GFP_KERNEL_ACCOUNT,
  GFP_ATOMIC,
  GFP_NOWAIT,
  GFP_NOIO,
  GFP_NOFS,
  GFP_USER,
  GFP_DMA,
  GFP_DMA32,
  GFP_HIGHUSER,
  GFP_HIGHUSER_MOVABLE,
];

/** Every single bit of `GFP_VALID_MASK`. */
const VALID_BITS: readonly number[] = Array.from({ length: 32 }, (_, i) => 2 ** i).filter(
  (bit) => (GFP_VALID_MASK & bit) !== 0,
);

const orBits = (bits: readonly number[]): number => bits.reduce((a, b) => (a | b) >>> 0, 0);

/**
 * Any mask `checkGfp` accepts: a composite (`GFP_KERNEL`, ...) with or
 * without extra modifiers, or any legal combination of single bits.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(validGfp(), (gfp) => { gfpZone(gfp); })); // never throws
 * ```
 */
export function validGfp(): fc.Arbitrary<Gfp> {
  return fc
    .oneof(
      fc.constantFrom(...GFP_COMPOSITES),
      fc
        .tuple(fc.constantFrom(...GFP_COMPOSITES), fc.subarray([...VALID_BITS], { maxLength: 3 }))
        .map(([base, extra]) => (base | orBits(extra)) >>> 0),
      fc.subarray([...VALID_BITS]).map(orBits),
    )
    .filter(isValidGfp);
}

/**
 * Masks for allocations that may fail but never block forever: the usual
 * composites, some with `__GFP_ZERO` or `__GFP_COMP`, never
 * `__GFP_NOFAIL`. Options narrow them for an allocator: `zones: false`
 * leaves out `GFP_DMA`, `GFP_DMA32` and the HighMem masks (for slab
 * allocations, which must come from lowmem).
 *
 * @example
 * ```ts
 * fc.tuple(allocationGfp(), order()).map(([gfp, o]) => k.allocPages(gfp | __GFP_NOWARN, o));
 * ```
 */
export function allocationGfp(options: { readonly zones?: boolean } = {}): fc.Arbitrary<Gfp> {
  const zoned = [GFP_DMA, GFP_DMA32, GFP_HIGHUSER, GFP_HIGHUSER_MOVABLE];
  const bases = GFP_COMPOSITES.filter((g) => options.zones !== false || !zoned.includes(g));
  return fc
    .tuple(
      fc.constantFrom(...bases),
      fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, fc.constantFrom(__GFP_ZERO, __GFP_COMP)),
    )
    .map(([base, extra]) => (base | extra) >>> 0)
    .filter((gfp) => (gfp & __GFP_NOFAIL) === 0 && isValidGfp(gfp));
}

/**
 * Masks `checkGfp` refuses (so every allocation entry point must throw
 * `KernelBug` for them): unknown bits, two or three zone modifiers,
 * `__GFP_MOVABLE | __GFP_RECLAIMABLE`, and numbers that are not unsigned
 * 32-bit integers (negative, fractional, NaN, too large).
 *
 * @example
 * ```ts
 * fc.assert(fc.property(invalidGfp(), (gfp) => {
 *   expectRejected(() => k.kmalloc(64, gfp), () => kernelState(k), `kmalloc(64, ${gfp})`);
 * }));
 * ```
 */
export function invalidGfp(): fc.Arbitrary<number> {
  const zoneBits = [__GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM];
  return fc
    .oneof(
      fc
        .tuple(validGfp(), fc.integer({ min: 0, max: 31 }))
        .map(([gfp, bit]) => (gfp | (2 ** bit)) >>> 0),
      fc
        .tuple(validGfp(), fc.subarray(zoneBits, { minLength: 2 }))
        .map(([gfp, bits]) => (gfp | orBits(bits)) >>> 0),
      validGfp().map((gfp) => (gfp | __GFP_MOVABLE | __GFP_RECLAIMABLE) >>> 0),
      fc.integer({ min: -(2 ** 31), max: -1 }),
      fc.integer({ min: 2 ** 32, max: Number.MAX_SAFE_INTEGER }),
      fc.double({ noInteger: true, noDefaultInfinity: true, noNaN: true }),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    )
    .filter((gfp) => !isValidGfp(gfp));
}

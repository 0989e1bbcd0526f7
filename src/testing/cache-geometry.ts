/**
 * Arbitraries of kmem_cache geometries, the arguments of
 * `kmemCacheCreate(name, size, { align, flags, ctor })`: valid ones (an
 * object size, a power-of-two alignment up to a page, `SLAB_*` flags from
 * the library's `SLAB_FLAGS_PERMITTED`, with or without a constructor),
 * and invalid ones, each a valid geometry with one argument broken in a
 * way `kmemCacheCreate` must refuse.
 */
import fc from 'fast-check';
import { MAX_ORDER } from '../buddy/zone.js';
import {
  SLAB_CONSISTENCY_CHECKS,
  SLAB_FLAGS_PERMITTED,
  SLAB_POISON,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
} from '../slab/slab-flags.js';

/** The shape of a cache: what `kmemCacheCreate` is given besides a name. */
export interface CacheGeometry {
  /** Object size in bytes. */
  readonly size: number;
  /** Requested alignment (0: the architecture minimum). */
  readonly align: number;
  /** `SLAB_*` flags. */
  readonly flags: number;
  /** Whether the cache has a constructor. */
  readonly ctor: boolean;
}

/** Options of {@link cacheGeometry}. */
export interface CacheGeometryOptions {
  /** The machine's page size (default 4096); alignments go up to it. */
  readonly pageSize?: number;
  /** The largest object size (default 2048). */
  readonly maxSize?: number;
  /** Include the debug flags (`SLAB_POISON`, `SLAB_RED_ZONE`, ...; default true). */
  readonly debugFlags?: boolean;
}

const DEBUG = SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER;

/** Every single bit of `SLAB_FLAGS_PERMITTED`. */
const FLAG_BITS: readonly number[] = Array.from({ length: 31 }, (_, i) => 2 ** i).filter(
  (bit) => (SLAB_FLAGS_PERMITTED & bit) !== 0,
);

/**
 * A valid cache geometry.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(cacheGeometry(), (g) => {
 *   const c = k.kmemCacheCreate('g', g.size, { align: g.align, flags: g.flags });
 *   c.destroy();
 * }));
 * ```
 */
export function cacheGeometry(options: CacheGeometryOptions = {}): fc.Arbitrary<CacheGeometry> {
  const pageSize = options.pageSize ?? 4096;
  const maxSize = options.maxSize ?? 2048;
  const bits = FLAG_BITS.filter((b) => options.debugFlags !== false || (b & DEBUG) === 0);
  const aligns = [0, 8, 16, 32, 64, 128, 256].filter((a) => a <= pageSize);
  return fc.record({
    size: fc.oneof(
      fc.integer({ min: 1, max: Math.min(64, maxSize) }),
      fc.integer({ min: 1, max: maxSize }),
      fc.constantFrom(...[8, 16, 24, 32, 64, 96, 128, 192, 256, 1024].filter((s) => s <= maxSize)),
    ),
    align: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...aligns) },
      { weight: 1, arbitrary: fc.constantFrom(pageSize / 2, pageSize) },
    ),
    flags: fc.oneof(
      { weight: 2, arbitrary: fc.constant(0) },
      {
        weight: 3,
        arbitrary: fc
          .subarray([...bits], { maxLength: 3 })
          .map((f) => f.reduce((a, b) => a | b, 0)),
      },
    ),
    ctor: fc.boolean(),
  });
}

/** Arguments of a `kmemCacheCreate` call that must throw `KernelBug`. */
export interface InvalidCacheCreate {
  /** The name passed. */
  readonly name: unknown;
  /** The size passed. */
  readonly size: unknown;
  /** The options passed. */
  readonly options: unknown;
  /** Which argument is broken, and how. */
  readonly broken: string;
}

/**
 * Arguments `kmemCacheCreate` must refuse: a size that is 0, negative,
 * fractional or above `KMALLOC_MAX_SIZE`; an alignment that is not a power
 * of two or exceeds a page; unknown flag bits; a ctor that is not a
 * function; an empty or non-string name; options that are not an object.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(invalidCacheCreate(), ({ name, size, options, broken }) => {
 *   expectRejected(() => k.kmemCacheCreate(name as string, size as number, options as never),
 *     () => kernelState(k), broken);
 * }));
 * ```
 */
export function invalidCacheCreate(
  options: { readonly pageSize?: number } = {},
): fc.Arbitrary<InvalidCacheCreate> {
  const pageSize = options.pageSize ?? 4096;
  const maxSize = pageSize * 2 ** MAX_ORDER;
  const base = cacheGeometry({ pageSize });
  const make = (
    g: CacheGeometry,
    change: Partial<{ name: unknown; size: unknown; options: unknown }>,
    broken: string,
  ): InvalidCacheCreate => ({
    name: 'bad',
    size: g.size,
    options: { align: g.align, flags: g.flags },
    ...change,
    broken,
  });
  return fc.oneof(
    fc
      .tuple(
        base,
        fc.oneof(
          fc.constantFrom(0, -1, Number.NaN, maxSize + 1, 2 ** 40),
          fc.double({ min: 0, max: 4096, noInteger: true, noNaN: true }),
        ),
      )
      .map(([g, size]) => make(g, { size }, `size ${size}`)),
    fc
      .tuple(
        base,
        fc.oneof(
          fc.integer({ min: 3, max: pageSize }).filter((a) => (a & (a - 1)) !== 0),
          fc.constantFrom(-8, pageSize * 2, 1.5),
        ),
      )
      .map(([g, align]) => make(g, { options: { align, flags: g.flags } }, `align ${align}`)),
    fc
      .tuple(base, fc.integer({ min: 0, max: 30 }))
      .filter(([, bit]) => (SLAB_FLAGS_PERMITTED & (2 ** bit)) === 0)
      .map(([g, bit]) => {
        const flags = g.flags | (2 ** bit);
        return make(g, { options: { align: g.align, flags } }, `flags 0x${flags.toString(16)}`);
      }),
    fc
      .tuple(base, fc.constantFrom<unknown>(42, 'ctor', {}, null))
      .map(([g, ctor]) => make(g, { options: { ctor } }, `ctor ${String(ctor)}`)),
    fc
      .tuple(base, fc.constantFrom<unknown>('', 42, null))
      .map(([g, name]) => make(g, { name }, `name ${JSON.stringify(name)}`)),
    base.map((g) => make(g, { options: null }, 'options null')),
  );
}

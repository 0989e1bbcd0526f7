/**
 * What a gfp value means to the page allocator: which zone to start from
 * (`gfpZone`), which free lists to use (`gfpMigratetype`), whether the
 * caller may sleep (`gfpAllowsBlocking`), and whether the value is legal at
 * all (`checkGfp`).
 *
 * Counterparts, in include/linux/gfp.h: gfp_zone with GFP_ZONE_TABLE and
 * GFP_ZONE_BAD, gfp_migratetype, gfpflags_allow_blocking.
 *
 * Validity. Every function here first checks its gfp argument and throws
 * {@link KernelBug} (naming the caller and the value in hex) for
 *
 * - a value that is not an unsigned 32-bit integer (`gfp_t` is a C
 *   `unsigned int`): negative, fractional, NaN, 2**32 or more, not a number;
 * - a bit outside {@link GFP_VALID_MASK};
 * - a zone combination Linux's GFP_ZONE_BAD marks illegal, i.e. more than
 *   one of __GFP_DMA, __GFP_DMA32 and __GFP_HIGHMEM (with or without
 *   __GFP_MOVABLE); Linux hits VM_BUG_ON there;
 * - __GFP_MOVABLE together with __GFP_RECLAIMABLE. Linux only warns
 *   (VM_WARN_ON in gfp_migratetype, under CONFIG_DEBUG_VM) and, with the
 *   warning ignored, hands out MIGRATE_HIGHATOMIC, a type that is meant to
 *   be reached only by the allocator's own reserve logic. mmsim treats the
 *   combination as the caller bug it is.
 *
 * Hot path. checkGfp and the helpers allocate nothing on success: a typeof
 * test, an unsigned shift, two masks and a 16-bit bitmap lookup. Strings
 * are built only on the error path.
 *
 * Whether the machine has the zone gfpZone names is not this module's
 * business: Linux resolves GFP_ZONE_TABLE at build time with OPT_ZONE_DMA,
 * OPT_ZONE_DMA32 and OPT_ZONE_HIGHMEM falling back to ZONE_NORMAL when a
 * zone is not configured. mmsim keeps the table architecture-neutral and
 * the page allocator maps a zone the architecture lacks to the next zone
 * down the fallback order (HighMem -> Normal, DMA32 -> Normal, ...).
 */
import { KernelBug } from '../page/errors.js';
import type { ZoneName } from '../page/index.js';
import {
  __GFP_DIRECT_RECLAIM,
  __GFP_DMA,
  __GFP_DMA32,
  __GFP_HIGHMEM,
  __GFP_MOVABLE,
  __GFP_RECLAIMABLE,
  GFP_MOVABLE_MASK,
  GFP_VALID_MASK,
  GFP_ZONEMASK,
  type Gfp,
} from './flags.js';
import { MigrateType } from './migratetype.js';

/**
 * The zone each combination of the four zone bits selects, indexed by
 * `gfp & GFP_ZONEMASK`; null where the combination is illegal. This is
 * GFP_ZONE_TABLE with every optional zone present. __GFP_MOVABLE is a
 * mobility hint as much as a zone modifier: it reaches ZONE_MOVABLE only
 * together with __GFP_HIGHMEM, and otherwise leaves the zone the other
 * bits chose.
 */
const GFP_ZONE_TABLE: readonly (ZoneName | null)[] = (() => {
  const table: (ZoneName | null)[] = new Array<ZoneName | null>(16).fill(null);
  table[0] = 'Normal';
  table[__GFP_DMA] = 'DMA';
  table[__GFP_HIGHMEM] = 'HighMem';
  table[__GFP_DMA32] = 'DMA32';
  table[__GFP_MOVABLE] = 'Normal';
  table[__GFP_MOVABLE | __GFP_DMA] = 'DMA';
  table[__GFP_MOVABLE | __GFP_HIGHMEM] = 'Movable';
  table[__GFP_MOVABLE | __GFP_DMA32] = 'DMA32';
  return Object.freeze(table);
})();

/**
 * One bit per zone-bit combination, set where the combination is illegal
 * (Linux's GFP_ZONE_BAD), derived from {@link GFP_ZONE_TABLE}.
 */
const GFP_ZONE_BAD: number = GFP_ZONE_TABLE.reduce<number>(
  (bad, zone, bits) => (zone === null ? bad | (1 << bits) : bad),
  0,
);

/** Bits no legal gfp value has. */
const GFP_INVALID_BITS = ~GFP_VALID_MASK;

/** Names of the zone bits, for error messages. */
const ZONE_BIT_NAMES: readonly (readonly [number, string])[] = [
  [__GFP_DMA, '__GFP_DMA'],
  [__GFP_HIGHMEM, '__GFP_HIGHMEM'],
  [__GFP_DMA32, '__GFP_DMA32'],
  [__GFP_MOVABLE, '__GFP_MOVABLE'],
];

/**
 * Render any value for an error message: integers in hex (`0x1000000`,
 * `-0x1`), other numbers as JavaScript prints them (`1.5`, `NaN`), other
 * types with their type.
 *
 * @internal
 */
export function describeGfpValue(value: unknown): string {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return String(value);
    return value < 0 ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
  }
  if (typeof value === 'bigint') return `${value}n (bigint)`;
  if (typeof value === 'string') return `${JSON.stringify(value)} (string)`;
  if (value === null) return 'null';
  if (typeof value === 'object' || typeof value === 'function') return `(${typeof value})`;
  return `${String(value)} (${typeof value})`;
}

/**
 * Throw unless `gfp` is an unsigned 32-bit integer. The part of
 * {@link checkGfp} that `formatGfp` also applies.
 *
 * @internal
 */
export function checkGfpWord(fn: string, gfp: Gfp): void {
  if (typeof gfp !== 'number' || gfp >>> 0 !== gfp) {
    throw new KernelBug(`${fn}: gfp ${describeGfpValue(gfp)} is not an unsigned 32-bit integer`);
  }
}

/** Build the KernelBug for a gfp word that failed one of the bit checks. */
function gfpBitsError(fn: string, gfp: Gfp): KernelBug {
  const hex = `0x${(gfp >>> 0).toString(16)}`;
  const unknown = (gfp & GFP_INVALID_BITS) >>> 0;
  if (unknown !== 0) {
    return new KernelBug(`${fn}: gfp ${hex} has unknown bits 0x${unknown.toString(16)}`);
  }
  const zoneBits = gfp & GFP_ZONEMASK;
  if (((GFP_ZONE_BAD >>> zoneBits) & 1) !== 0) {
    const names = ZONE_BIT_NAMES.filter(([bit]) => (zoneBits & bit) !== 0)
      .map(([, name]) => name)
      .join('|');
    return new KernelBug(`${fn}: gfp ${hex} has an invalid zone combination ${names}`);
  }
  return new KernelBug(`${fn}: gfp ${hex} sets both __GFP_MOVABLE and __GFP_RECLAIMABLE`);
}

/**
 * Check that `gfp` is a legal set of GFP flags, and throw a
 * {@link KernelBug} naming `fn` and the value if it is not: not an
 * unsigned 32-bit integer, a bit outside {@link GFP_VALID_MASK}, more than
 * one of __GFP_DMA, __GFP_DMA32 and __GFP_HIGHMEM, or both __GFP_MOVABLE
 * and __GFP_RECLAIMABLE. Allocation entry points call it before touching
 * any state. Allocates nothing when the value is legal.
 *
 * @param fn - the public function being called, for the message
 * @param gfp - the value to check
 * @throws {@link KernelBug} e.g. `allocPages: gfp 0x1000000 has unknown bits 0x1000000`
 *
 * @example
 * ```ts
 * checkGfp('allocPages', GFP_KERNEL);            // returns
 * checkGfp('allocPages', __GFP_DMA | __GFP_HIGHMEM);
 * // KernelBug: allocPages: gfp 0x3 has an invalid zone combination __GFP_DMA|__GFP_HIGHMEM
 * ```
 */
export function checkGfp(fn: string, gfp: Gfp): void {
  checkGfpWord(fn, gfp);
  if (
    (gfp & GFP_INVALID_BITS) !== 0 ||
    ((GFP_ZONE_BAD >>> (gfp & GFP_ZONEMASK)) & 1) !== 0 ||
    (gfp & GFP_MOVABLE_MASK) === GFP_MOVABLE_MASK
  ) {
    throw gfpBitsError(fn, gfp);
  }
}

/**
 * The highest zone an allocation with these flags may use; the allocator
 * starts there and falls back to lower zones. Follows Linux's
 * GFP_ZONE_TABLE with every zone present: no zone bit gives `'Normal'`,
 * __GFP_DMA `'DMA'`, __GFP_DMA32 `'DMA32'`, __GFP_HIGHMEM `'HighMem'`;
 * __GFP_MOVABLE changes only __GFP_HIGHMEM, to `'Movable'`.
 *
 * The result does not depend on the architecture: on a machine without
 * the zone named, the page allocator uses the next zone below it, as
 * Linux's OPT_ZONE_* build-time fallbacks do.
 *
 * Counterpart: gfp_zone (include/linux/gfp.h).
 *
 * @param gfp - the allocation flags
 * @param fn - the calling function, named in the error (default `'gfpZone'`)
 * @throws {@link KernelBug} for any value {@link checkGfp} rejects
 *
 * @example
 * ```ts
 * gfpZone(GFP_KERNEL);            // 'Normal'
 * gfpZone(GFP_HIGHUSER_MOVABLE);  // 'Movable'
 * gfpZone(GFP_KERNEL | GFP_DMA);  // 'DMA'
 * ```
 */
export function gfpZone(gfp: Gfp, fn = 'gfpZone'): ZoneName {
  checkGfp(fn, gfp);
  const zone = GFP_ZONE_TABLE[gfp & GFP_ZONEMASK];
  if (zone === undefined || zone === null) throw gfpBitsError(fn, gfp);
  return zone;
}

/**
 * The migrate type (free-list class) an allocation with these flags uses:
 * Movable for __GFP_MOVABLE, Reclaimable for __GFP_RECLAIMABLE, Unmovable
 * otherwise. mmsim always groups pages by mobility (Linux's
 * `page_group_by_mobility_disabled` is false).
 *
 * Counterpart: gfp_migratetype (include/linux/gfp.h), which computes
 * `(gfp & GFP_MOVABLE_MASK) >> 3`. Setting both mobility bits, which would
 * give MIGRATE_HIGHATOMIC there after a VM_WARN_ON, throws here.
 *
 * @param gfp - the allocation flags
 * @param fn - the calling function, named in the error (default `'gfpMigratetype'`)
 * @throws {@link KernelBug} for any value {@link checkGfp} rejects
 */
export function gfpMigratetype(gfp: Gfp, fn = 'gfpMigratetype'): MigrateType {
  checkGfp(fn, gfp);
  if ((gfp & __GFP_MOVABLE) !== 0) return MigrateType.Movable;
  if ((gfp & __GFP_RECLAIMABLE) !== 0) return MigrateType.Reclaimable;
  return MigrateType.Unmovable;
}

/**
 * Whether the caller may sleep: true when __GFP_DIRECT_RECLAIM is set
 * ({@link GFP_KERNEL}, {@link GFP_NOFS}, ...), false for
 * {@link GFP_ATOMIC} and {@link GFP_NOWAIT}. A blocking request may run
 * direct reclaim, compaction and the OOM killer before failing.
 *
 * Counterpart: gfpflags_allow_blocking (include/linux/gfp.h).
 *
 * @param gfp - the allocation flags
 * @param fn - the calling function, named in the error (default `'gfpAllowsBlocking'`)
 * @throws {@link KernelBug} for any value {@link checkGfp} rejects
 */
export function gfpAllowsBlocking(gfp: Gfp, fn = 'gfpAllowsBlocking'): boolean {
  checkGfp(fn, gfp);
  return (gfp & __GFP_DIRECT_RECLAIM) !== 0;
}

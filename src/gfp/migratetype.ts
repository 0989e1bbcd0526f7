/**
 * Migrate types: the mobility classes the page allocator sorts free
 * pageblocks into, so that pages that can never move do not end up
 * scattered through memory that could otherwise be compacted.
 *
 * This file owns the numbering and the names. The numbers follow
 * `enum migratetype` in include/linux/mmzone.h for a kernel built without
 * CONFIG_CMA and with CONFIG_MEMORY_ISOLATION: Linux places MIGRATE_CMA
 * between MIGRATE_HIGHATOMIC and MIGRATE_ISOLATE when CMA is configured.
 * mmsim has no contiguous memory allocator, so CMA is left out and
 * Isolate is 4. The names are `migratetype_names` as /proc/pagetypeinfo
 * prints them (mm/page_alloc.c in older kernels, mm/vmstat.c now).
 *
 * Counterparts: include/linux/mmzone.h (enum migratetype), mm/vmstat.c.
 */

/**
 * Migrate type numbers, in Linux's order.
 *
 * - `Unmovable`: kernel memory whose address is fixed (slab, page tables).
 * - `Movable`: pages that migration can move (user memory, page cache).
 * - `Reclaimable`: pages that cannot move but can be freed on demand.
 * - `HighAtomic`: blocks reserved for high-order atomic allocations; no
 *   gfp value asks for it, the allocator moves blocks here itself.
 * - `Isolate`: blocks taken out of use (memory offlining, contiguous
 *   allocation); never allocated from.
 *
 * The first {@link MIGRATE_PCPTYPES} types have per-CPU free lists.
 */
export const MigrateType = {
  Unmovable: 0,
  Movable: 1,
  Reclaimable: 2,
  HighAtomic: 3,
  Isolate: 4,
} as const;

/** One of the {@link MigrateType} numbers (0 to 4). */
export type MigrateType = (typeof MigrateType)[keyof typeof MigrateType];

/**
 * Number of migrate types kept on the per-CPU page lists: Unmovable,
 * Movable and Reclaimable. In Linux `MIGRATE_HIGHATOMIC` is defined equal
 * to it.
 */
export const MIGRATE_PCPTYPES = 3;

/**
 * Number of migrate types mmsim has (Linux's `MIGRATE_TYPES` for a kernel
 * without CONFIG_CMA and with CONFIG_MEMORY_ISOLATION).
 */
export const MIGRATE_TYPES = 5;

/**
 * The names of the migrate types, indexed by {@link MigrateType} number,
 * exactly as /proc/pagetypeinfo prints them.
 */
export const MIGRATETYPE_NAMES: readonly string[] = Object.freeze([
  'Unmovable',
  'Movable',
  'Reclaimable',
  'HighAtomic',
  'Isolate',
]);

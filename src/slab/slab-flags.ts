/**
 * Cache creation flags (`SLAB_*`, include/linux/slab.h). The values are
 * those of Linux 6.8, the last release in which they were fixed numbers;
 * since 6.9 they are assigned from an enum whose numbering depends on the
 * kernel configuration.
 */

/** Debug: check objects' consistency on alloc and free (`slub_debug=F`). */
export const SLAB_CONSISTENCY_CHECKS = 0x00000100;
/** Debug: surround each object with red zones that detect overruns (`Z`). */
export const SLAB_RED_ZONE = 0x00000400;
/** Debug: fill free objects with a poison pattern that detects use after free (`P`). */
export const SLAB_POISON = 0x00000800;
/** Align objects to a cache line (when the object is large enough). */
export const SLAB_HWCACHE_ALIGN = 0x00002000;
/** Take slab pages from ZONE_DMA. */
export const SLAB_CACHE_DMA = 0x00004000;
/** Take slab pages from ZONE_DMA32. */
export const SLAB_CACHE_DMA32 = 0x00008000;
/** Debug: record who last allocated and freed each object (`U`). */
export const SLAB_STORE_USER = 0x00010000;
/** Objects are reclaimable (counted as SReclaimable, pages from Reclaimable pageblocks). */
export const SLAB_RECLAIM_ACCOUNT = 0x00020000;
/** Panic if the cache cannot be created. */
export const SLAB_PANIC = 0x00040000;
/** Charge allocations to the caller's memory cgroup. */
export const SLAB_ACCOUNT = 0x04000000;

/** The debug flags, as `slub_debug` letters set them. */
export const SLAB_DEBUG_FLAGS =
  SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER;

/** Every flag `kmemCacheCreate` accepts. */
export const SLAB_FLAGS_PERMITTED =
  SLAB_DEBUG_FLAGS |
  SLAB_HWCACHE_ALIGN |
  SLAB_CACHE_DMA |
  SLAB_CACHE_DMA32 |
  SLAB_RECLAIM_ACCOUNT |
  SLAB_PANIC |
  SLAB_ACCOUNT;

/** `slub_debug` letters and the flags they set (Documentation/mm/slub.rst). */
export const SLUB_DEBUG_LETTERS: Readonly<Record<string, number>> = {
  F: SLAB_CONSISTENCY_CHECKS,
  Z: SLAB_RED_ZONE,
  P: SLAB_POISON,
  U: SLAB_STORE_USER,
};

/** Poison byte of a free object (`POISON_FREE`). */
export const POISON_FREE = 0x6b;
/** Last byte of a poisoned object (`POISON_END`). */
export const POISON_END = 0xa5;
/** Poison of padding and of objects allocated but never written (`POISON_INUSE`). */
export const POISON_INUSE = 0x5a;
/** Red zone byte around a free object (`SLUB_RED_INACTIVE`). */
export const SLUB_RED_INACTIVE = 0xbb;
/** Red zone byte around an allocated object (`SLUB_RED_ACTIVE`). */
export const SLUB_RED_ACTIVE = 0xcc;

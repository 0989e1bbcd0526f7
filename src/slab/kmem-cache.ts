/**
 * The `kmem_cache` interface: a cache of equally sized objects, the unit
 * every slab allocator (SLUB, SLAB, SLOB) hands out. Small on purpose, like
 * Zig's `Allocator`: allocate, free, give memory back, go away.
 */
import type { Gfp } from '../gfp/flags.js';
import type { VirtAddr } from '../page/address.js';

/** Options of `kmemCacheCreate`. */
export interface KmemCacheOptions {
  /** Minimum object alignment in bytes, a power of two (default: the architecture minimum). */
  readonly align?: number;
  /** `SLAB_*` flags. */
  readonly flags?: number;
  /** Constructor, run on each object when its slab is populated (not on every alloc). */
  readonly ctor?: (obj: VirtAddr) => void;
}

/** What /proc/slabinfo shows of a cache (`struct slabinfo`). */
export interface SlabInfo {
  readonly activeObjs: number;
  readonly numObjs: number;
  readonly objsPerSlab: number;
  /** log2 of the pages per slab. */
  readonly cacheOrder: number;
  readonly limit: number;
  readonly batchcount: number;
  readonly shared: number;
  readonly activeSlabs: number;
  readonly numSlabs: number;
  readonly sharedAvail: number;
}

/** A cache of objects of one size. */
export interface KmemCache {
  /** The name given at creation (names need not be unique). */
  readonly name: string;
  /** The size asked for (`object_size`). */
  readonly objectSize: number;
  /** Bytes each object occupies in its slab, with alignment and debug metadata (`size`). */
  readonly size: number;
  /** Object alignment in bytes. */
  readonly align: number;
  /** `SLAB_*` flags, debug flags included. */
  readonly flags: number;
  /** `kmem_cache_alloc`: an object, or `null` when memory cannot be found. */
  alloc(gfp: Gfp): VirtAddr | null;
  /** `kmem_cache_free`. Throws `KernelBug`, changing nothing, for a pointer this cache does not own or a double free. */
  free(obj: number): void;
  /** `kmem_cache_shrink`: gives empty slabs back to the page allocator; returns the pages released. */
  shrink(): number;
  /** `kmem_cache_destroy`. Throws `KernelBug`, leaving the cache usable, while objects are allocated. */
  destroy(): void;
  /** Counts for /proc/slabinfo. */
  slabinfo(): SlabInfo;
}

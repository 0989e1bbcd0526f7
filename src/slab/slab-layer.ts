/**
 * The slab layer as the rest of the kernel sees it: `SlabLayer`, the
 * interface SLUB, SLAB and SLOB implement, and that an allocator of your
 * own implements to run a whole machine on it
 * (`Kernel.boot({ slab: yourFactory })`).
 *
 * It is what mm/slab_common.c asks of an implementation, and no more:
 * creating caches (each a `KmemCache`), `kmalloc`, `kfree` and `ksize`,
 * the list of live caches (/proc/slabinfo, /proc/meminfo's `Slab:`),
 * knowing its own caches, and checking its invariants. The rest of the
 * kmalloc family (`kzalloc`, `kcalloc`, `krealloc`) is common code over
 * these three (kmalloc-family.ts), as in Linux.
 *
 * `slabLayerProblem` is what `Kernel.boot` checks a factory's result with,
 * so that a bad allocator is refused at boot with a message naming what is
 * missing, not halfway through a run.
 */
import type { BuddyAllocator } from '../buddy/buddy-allocator.js';
import type { Gfp } from '../gfp/flags.js';
import type { VirtAddr } from '../page/address.js';
import type { KmemCache, KmemCacheOptions } from './kmem-cache.js';
import type { SlabAllocatorOptions } from './slab-common.js';

/**
 * A slab allocator: what the kernel needs from SLUB, SLAB, SLOB or an
 * allocator of your own. Every method keeps mmsim's rules: misuse (a bad
 * argument, a double free, a pointer never returned, a free to the wrong
 * cache) throws `KernelBug` and changes nothing; out of memory returns
 * `null`. `checkSlabAllocatorConformance` from `mmsim/testing` checks an
 * implementation against the suite the built-in allocators pass.
 *
 * @example
 * ```ts
 * // Run a whole machine on an allocator of your own:
 * const k = Kernel.boot({ slab: (buddy, options) => new MySlab(buddy, options) });
 * k.kmalloc(100, GFP_KERNEL); // served by MySlab
 * ```
 */
export interface SlabLayer {
  /** A short name of the design (`'slub'`, `'slab'`, `'slob'`, or your allocator's). */
  readonly kind: string;
  /** Every live cache, as /proc/slabinfo lists them (kmalloc caches included, if any). */
  readonly caches: readonly KmemCache[];
  /**
   * `kmem_cache_create`: a cache of `size`-byte objects. Objects are
   * aligned to the cache's `align`, which is at least `options.align` and
   * what `calculateAlignment(flags, align, size)` gives.
   *
   * @throws KernelBug for a bad name, size, alignment, flags or ctor.
   */
  kmemCacheCreate(name: string, size: number, options?: KmemCacheOptions): KmemCache;
  /** Whether `cache` is a live cache of this allocator (not destroyed, not another machine's). */
  hasCache(cache: unknown): boolean;
  /**
   * `kmalloc`: `size` bytes (at least `ksize` of them usable), `null` when
   * memory cannot be found or `size` exceeds `KMALLOC_MAX_SIZE`;
   * `kmalloc(0)` returns `ZERO_SIZE_PTR`. Power-of-two sizes up to a page
   * are naturally aligned; `__GFP_ZERO` zeroes.
   *
   * @throws KernelBug for a size that is not a non-negative integer or an invalid gfp mask.
   */
  kmalloc(size: number, gfp: Gfp): VirtAddr | null;
  /**
   * `kfree`: frees what `kmalloc` returned; `null`, 0 and `ZERO_SIZE_PTR` are ignored.
   *
   * @throws KernelBug, changing nothing, for a pointer kmalloc never returned or a double free.
   */
  kfree(ptr: number | null): void;
  /**
   * `ksize`: the usable size of a kmalloc allocation (0 for `ZERO_SIZE_PTR`).
   *
   * @throws KernelBug for a pointer kmalloc never returned.
   */
  ksize(ptr: number): number;
  /**
   * Optional: the name of the kmalloc cache that served `ptr`
   * (`'kmalloc-128'`), `null` when none did (`ZERO_SIZE_PTR`, whole pages,
   * an allocator without kmalloc caches).
   *
   * @throws KernelBug for a pointer kmalloc never returned.
   */
  kmallocCacheName?(ptr: number): string | null;
  /** Throws `KernelBug` naming the first broken invariant of the allocator's own state. */
  checkInvariants(): void;
  /**
   * Optional: the cache whose id a slab page's `mapping` records, for
   * pictures that name the cache owning each frame (the built-in
   * allocators mark their slab pages with `PG_slab` and a cache id).
   */
  cacheWithId?(id: number): KmemCache | undefined;
}

/**
 * Builds a slab allocator over a machine's page allocator, as
 * `Kernel.boot` does with SLUB, SLAB or SLOB (`kmem_cache_init`). It
 * receives what their constructors receive: the `BuddyAllocator` (with
 * the machine's `memory`, `memMap`, `arch` and `log`) and the slab options
 * of the boot configuration (`failslab`, `slubDebug`), which it may ignore.
 *
 * @example
 * ```ts
 * const factory: SlabFactory = (buddy, options) => new SlubAllocator(buddy, options);
 * const k = Kernel.boot({ slab: factory });
 * ```
 */
export type SlabFactory<S extends SlabLayer = SlabLayer> = (
  buddy: BuddyAllocator,
  options: SlabAllocatorOptions,
) => S;

const METHODS = ['kmemCacheCreate', 'hasCache', 'kmalloc', 'kfree', 'ksize', 'checkInvariants'];

/**
 * What makes `value` not a {@link SlabLayer}, or `null` if it is one (as
 * far as can be seen without calling it): a method missing, `caches` not
 * an array, `kind` not a non-empty string.
 *
 * @example
 * ```ts
 * slabLayerProblem({}); // 'it has no kind (a non-empty string)'
 * ```
 */
export function slabLayerProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) {
    return `it is ${value === null ? 'null' : typeof value}, not an object`;
  }
  const v = value as Record<string, unknown>;
  if (typeof v.kind !== 'string' || v.kind === '') return 'it has no kind (a non-empty string)';
  const missing = METHODS.filter((m) => typeof v[m] !== 'function');
  if (missing.length > 0) {
    return `it has no ${missing.join(', ')} method${missing.length > 1 ? 's' : ''}`;
  }
  if (!Array.isArray(v.caches)) return 'its caches is not an array';
  if (v.cacheWithId !== undefined && typeof v.cacheWithId !== 'function') {
    return 'its cacheWithId is not a function';
  }
  return null;
}

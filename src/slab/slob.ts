/**
 * SLOB (mm/slob.c, "Simple List Of Blocks"), the allocator Linux offered
 * for small machines until its removal in 6.4. These files follow mm/slob.c
 * as it stood in the 6.x series (struct slab, folios, `__ksize`). The copy
 * read was a 6.1-development tree; the later patches to mm/slob.c before
 * v6.3 that we know of change tracepoint arguments only, not the logic.
 *
 * SLOB is a K&R heap over whole pages, shared by every cache and by
 * kmalloc. It is split in four files:
 *
 * - slob-heap.ts: the heap itself: SLOB pages, their free blocks in SLOB
 *   units, the three lists of partially free pages, `slob_alloc` and
 *   `slob_free` (its header describes the page layout and the algorithms).
 * - slob-cache.ts: `SlobCache`, a kmem_cache whose objects are heap blocks.
 * - slob-invariants.ts: the census of every SLOB page and the invariants.
 * - This file: `SlobAllocator` over the heap, with kmalloc, kfree and
 *   ksize, the checks of pointers passed in, and the memory figures.
 *
 * kmalloc (`__do_kmalloc_node`): below PAGE_SIZE - 8 bytes, a block with
 * an 8-byte header (`max(ARCH_KMALLOC_MINALIGN, ARCH_SLAB_MINALIGN)`)
 * holding the requested size; the object follows the header, aligned to
 * 8, or to its size when that is a power of two. `ksize` is that size
 * rounded up to whole units. Larger requests are whole pages
 * (`kmallocLarge`). SLOB has no kmalloc caches.
 *
 * Additions to SLOB, for the contract's always-on checks (Linux's SLOB
 * had no free checks at all, nor wrong-cache detection):
 *
 * - The common object shadow (one bit per 8 bytes at each live object's
 *   start, outside RAM) catches double frees and pointers never returned.
 * - Ownership lives in simulated RAM, beside the object, where it is
 *   counted in the page footprint: the kmalloc header's unused second word
 *   holds 0 ("kmalloc"), and each kmem_cache object in a SLOB page has a
 *   4-byte header before it holding its cache id (Linux's SLOB objects of
 *   a cache had no header). A live object's owner is the 32-bit word just
 *   before it. The header makes a cache object's block `objectSize + 4`
 *   bytes, placed so that the object, not the block, is aligned; this
 *   costs 4 bytes per object (`memoryUsage().ownerHeaderBytes`), and with
 *   8-byte alignment sometimes 4 more, left as a free fragment (counted in
 *   `freeBytes`). Requests are still put on SLOB's lists by Linux's size
 *   (the object's size, without the header). A kmalloc object's size
 *   header is checked on free (plausible size, no overlap with a free
 *   block) so that a corrupted header is reported rather than corrupting
 *   the heap.
 * - Kernel objects are constructed once, as the contract asks (Linux's
 *   SLOB ran the ctor on every allocation): a cache with a ctor keeps its
 *   freed objects, still constructed and still in their blocks, on a
 *   per-cache stack of addresses (a Float64Array outside RAM, 8 bytes per
 *   entry: `memoryUsage().outsideRam`), reused before a new block is
 *   constructed; `shrink()` and `destroy()` give them back to the heap.
 * - kfree and ksize accept objects of a kmem_cache too (SLOB could not).
 *
 * Other differences from mm/slob.c:
 *
 * - A cache whose object cannot share a page with its header (size plus
 *   alignment above a page; Linux's limit was a size of PAGE_SIZE) takes
 *   whole pages, as SLOB's caches of PAGE_SIZE and more did; those pages
 *   are marked PG_slab with the cache id in `mapping`, compound, so frees
 *   are checked as SLUB's are.
 * - A request with __GFP_DMA (or for a SLAB_CACHE_DMA cache) only uses
 *   pages of ZONE_DMA, the way SLOB's NUMA path only used pages of the
 *   requested node; SLOB itself ignored GFP_DMA for pages on its lists.
 * - `failslab` applies to kmalloc and kmem_cache_alloc (in Linux,
 *   CONFIG_FAILSLAB needed SLAB or SLUB).
 * - `__GFP_HIGHMEM` and `__GFP_DMA32` are dropped with kmalloc_fix_flags's
 *   warning, as for SLUB. Debug flags (`slub_debug`) are accepted and do
 *   nothing, as in SLOB. NUMA, SLAB_TYPESAFE_BY_RCU and the boot
 *   `kmem_cache` cache are not modelled.
 * - /proc/slabinfo did not exist under SLOB; `slabinfo()` reports what can
 *   be counted honestly: live objects (active) and live plus constructed
 *   free objects (num), objsize the block bytes per object, objperslab
 *   PAGE_SIZE / size, one page per "slab", tunables 0, and as slabs the
 *   pages holding at least one object of the cache (a scan, cached until
 *   the next allocation or free).
 * - `shrink()` (0 in Linux) frees the constructed free objects of a ctor
 *   cache and returns the pages that went back to the page allocator.
 * - SLOB pages count as NR_SLAB_UNRECLAIMABLE, as in Linux; large kmalloc
 *   pages are left to the common code (Linux 6.3 counted them too).
 */

import type { BuddyAllocator } from '../buddy/buddy-allocator.js';
import { __GFP_DMA, __GFP_ZERO, type Gfp } from '../gfp/flags.js';
import { checkGfp } from '../gfp/zone.js';
import { formatAddress, type VirtAddr } from '../page/address.js';
import { KernelBug } from '../page/errors.js';
import { ZERO_SIZE_PTR } from './kmalloc-sizes.js';
import type { SlabAllocatorOptions } from './slab-common.js';
import { SlobCache } from './slob-cache.js';
import { CACHE_HEADER, KMALLOC_OWNER, MINALIGN, SlobHeap } from './slob-heap.js';
import { checkSlobInvariants, type SlobCensus, takeSlobCensus } from './slob-invariants.js';

export { SlobCache } from './slob-cache.js';
export {
  SLOB_BREAK1,
  SLOB_BREAK2,
  SLOB_LIST_LARGE,
  SLOB_LIST_MEDIUM,
  SLOB_LIST_SMALL,
  SLOB_MAPPING,
} from './slob-heap.js';

import { describeValue, isCount } from '../page/validate.js';

export type { SlobCensus } from './slob-invariants.js';

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** SLOB's memory figures (`SlobAllocator.memoryUsage`). */
export interface SlobMemoryUsage {
  /** SLOB pages (shared heap pages) in use. */
  readonly slobPages: number;
  /** Bytes of those pages. */
  readonly slobBytes: number;
  /** Bytes free inside them (free units). */
  readonly freeBytes: number;
  /** Pages of caches whose objects take whole pages. */
  readonly pageBackedPages: number;
  /** Bytes of mmsim's owner headers in SLOB pages (4 per cache object; SLOB had none). */
  readonly ownerHeaderBytes: number;
  /** Bytes of SLOB metadata kept outside simulated RAM (the ctor caches' stacks). */
  readonly outsideRam: number;
}

/** The SLOB allocator over a page allocator. */
export class SlobAllocator extends SlobHeap {
  readonly kind = 'slob' as const;
  /** Pages of caches whose objects take whole pages. */
  pageBackedPages = 0;
  /** Live kmalloc objects in SLOB pages. */
  kmallocObjects = 0;
  private censusGeneration = -1;
  private censusCache: SlobCensus | null = null;

  /**
   * @example
   * ```ts
   * const slob = new SlobAllocator(new BuddyAllocator(new PhysicalMemory(32 * 2 ** 20)));
   * const cache = slob.kmemCacheCreate('dentry', 192);
   * const obj = cache.alloc(GFP_KERNEL);   // a block in a shared SLOB page
   * const buf = slob.kmalloc(100, GFP_KERNEL); // 8-byte header + 100 bytes, ksize 100
   * ```
   */
  constructor(buddy: BuddyAllocator, options: SlabAllocatorOptions = {}) {
    super(buddy, options);
  }

  protected createCache(
    id: number,
    name: string,
    size: number,
    align: number,
    flags: number,
    ctor: ((obj: VirtAddr) => void) | undefined,
  ): SlobCache {
    return new SlobCache(this, id, name, size, align, flags, ctor);
  }

  // --- kmalloc ------------------------------------------------------------

  /**
   * `__do_kmalloc_node`: below PAGE_SIZE - 8 bytes, a SLOB block with an
   * 8-byte header holding the size (power-of-two sizes naturally aligned);
   * larger requests take pages. `kmalloc(0)` returns `ZERO_SIZE_PTR`.
   *
   * @throws KernelBug for a size that is not a non-negative integer or an invalid gfp mask.
   */
  override kmalloc(size: number, gfp: Gfp): VirtAddr | null {
    if (!isCount(size)) {
      throw new KernelBug(`kmalloc: size ${describeValue(size)} is not a non-negative integer`);
    }
    checkGfp('kmalloc', gfp);
    if (size === 0) return ZERO_SIZE_PTR as VirtAddr;
    if (size >= this.arch.pageSize - MINALIGN) return this.kmallocLarge(size, gfp);
    if (this.failslab !== null && this.shouldFailslab(gfp)) return null;
    const align = isPowerOfTwo(size) ? Math.max(MINALIGN, size) : MINALIGN;
    const block = this.slobAlloc(
      size + MINALIGN,
      size + MINALIGN,
      gfp,
      align,
      MINALIGN,
      (gfp & __GFP_DMA) !== 0,
    );
    if (block < 0) return null;
    this.memory.store32(block, size);
    this.memory.store32(block + 4, KMALLOC_OWNER);
    const pa = block + MINALIGN;
    this.shadowSet(pa);
    this.kmallocObjects++;
    this.generation++;
    if ((gfp & __GFP_ZERO) !== 0) this.zeroBytes(pa, size);
    return (pa + this.arch.pageOffset) as VirtAddr;
  }

  /**
   * `kfree`: a kmalloc block goes back to the heap (its size read from its
   * header); an object of a kmem_cache to its cache; pages to the page
   * allocator. `null`, 0 and `ZERO_SIZE_PTR` are ignored.
   *
   * @throws KernelBug, changing nothing, for a pointer never returned, an
   *   interior pointer, a double free or a corrupted header.
   */
  override kfree(ptr: number | null): void {
    if (ptr === null || ptr === 0 || ptr === ZERO_SIZE_PTR) return;
    const head = this.headOfObject('kfree', ptr);
    if (!this.isSlobPage(head)) {
      super.kfree(ptr);
      return;
    }
    const owner = this.liveSlobObject('kfree', ptr, 'kfree');
    const pa = ptr - this.arch.pageOffset;
    if (owner !== KMALLOC_OWNER) {
      (this.cacheById[owner] as SlobCache).freeChecked(pa);
      return;
    }
    const size = this.memory.load32(pa - MINALIGN);
    if (!this.blockFits(pa - MINALIGN, size + MINALIGN)) {
      this.report('kfree', `Object ${formatAddress(ptr)}: kmalloc header corrupted (size ${size})`);
      throw new KernelBug(`kfree: the header of ${formatAddress(ptr)} is corrupted (size ${size})`);
    }
    this.shadowClear(pa);
    this.kmallocObjects--;
    this.slobFree(pa - MINALIGN, size + MINALIGN, size + MINALIGN);
  }

  /**
   * `__ksize`: for a kmalloc block, the size in its header rounded up to
   * whole SLOB units; for pages, their size; for an object of a kmem_cache
   * (which SLOB could not answer), the cache's `ksize`.
   */
  override ksize(ptr: number): number {
    if (ptr === ZERO_SIZE_PTR) return 0;
    const head = this.headOfObject('ksize', ptr);
    if (!this.isSlobPage(head)) return super.ksize(ptr);
    const owner = this.liveSlobObject('ksize', ptr, 'ksize');
    if (owner !== KMALLOC_OWNER) return (this.cacheById[owner] as SlobCache).ksize();
    const size = this.memory.load32(ptr - this.arch.pageOffset - MINALIGN);
    return Math.ceil(size / this.unit) * this.unit;
  }

  /**
   * SLOB has no kmalloc caches: `null` for a kmalloc block of the SLOB
   * heap, as for pages; for an object of a kmem_cache, its cache's name.
   */
  override kmallocCacheName(ptr: number): string | null {
    if (ptr === ZERO_SIZE_PTR) return null;
    const head = this.headOfObject('kmallocCacheName', ptr);
    if (!this.isSlobPage(head)) return super.kmallocCacheName(ptr);
    const owner = this.liveSlobObject('kmallocCacheName', ptr, 'kmallocCacheName');
    return owner === KMALLOC_OWNER ? null : (this.cacheById[owner] as SlobCache).name;
  }

  // --- checks -------------------------------------------------------------

  /**
   * Checks that `va`, in a SLOB page, is a live object's start, and returns
   * its owner (0 for kmalloc, else a cache id). Reports and throws
   * `KernelBug` otherwise, changing nothing.
   *
   * @internal
   */
  liveSlobObject(fn: string, va: number, reportName: string): number {
    const pageSize = this.arch.pageSize;
    const pa = va - this.arch.pageOffset;
    // Objects are 8-aligned and never at a page's start (a header precedes them).
    if (pa % MINALIGN !== 0 || pa % pageSize === 0 || !this.shadowTest(pa)) {
      this.badSlobPointer(fn, va, reportName);
    }
    const owner = this.memory.load32(pa - 4);
    if (owner === KMALLOC_OWNER) {
      const size = this.memory.load32(pa - MINALIGN);
      if (size < 1 || size >= pageSize - MINALIGN || (pa % pageSize) + size > pageSize) {
        this.report(
          reportName,
          `Object ${formatAddress(va)}: kmalloc header corrupted (size ${size})`,
        );
        throw new KernelBug(
          `${fn}: the header of ${formatAddress(va)} is corrupted (size ${size})`,
        );
      }
      return owner;
    }
    const cache = this.cacheById[owner];
    if (!(cache instanceof SlobCache) || !cache.slobBacked) {
      this.report(reportName, `Object ${formatAddress(va)}: owner header corrupted (${owner})`);
      throw new KernelBug(`${fn}: the owner header of ${formatAddress(va)} is corrupted`);
    }
    return owner;
  }

  /** Reports a pointer that is not a live object of a SLOB page, and throws. */
  private badSlobPointer(fn: string, va: number, reportName: string): never {
    const pa = va - this.arch.pageOffset;
    if (this.inFreeBlock(pa) || this.isCachedObject(pa)) {
      this.report(reportName, 'Object already free', [`Object ${formatAddress(va)}`]);
      throw new KernelBug(`${fn}: double free of ${formatAddress(va)}`);
    }
    this.report(reportName, `Invalid object pointer ${formatAddress(va)}`);
    throw new KernelBug(
      `${fn}: ${formatAddress(va)} is not the start of an allocated object (never returned, or an interior pointer)`,
    );
  }

  /** Whether `pa` is a constructed free object kept by some cache. */
  private isCachedObject(pa: number): boolean {
    for (const cache of this.cacheList) {
      if (cache instanceof SlobCache && cache.holdsCached(pa)) return true;
    }
    return false;
  }

  /** The name of the cache with this id, for reports. */
  cacheNameOf(id: number): string {
    return this.cacheById[id]?.name ?? `unknown cache ${id}`;
  }

  // --- observability ------------------------------------------------------

  /** SLOB's footprint, with what mmsim adds to it counted apart. */
  memoryUsage(): SlobMemoryUsage {
    let freeUnits = 0;
    for (let list = 0; list < 3; list++) {
      for (const pfn of this.pagesOnList(list)) freeUnits += this.memMap.private[pfn] as number;
    }
    let headerObjects = 0;
    let outsideRam = 0;
    for (const cache of this.cacheList) {
      if (!(cache instanceof SlobCache)) continue;
      if (cache.slobBacked) headerObjects += cache.liveObjects + cache.nrCached;
      outsideRam += cache.stackBytes;
    }
    return {
      slobPages: this.slobPages,
      slobBytes: this.slobPages * this.arch.pageSize,
      freeBytes: freeUnits * this.unit,
      pageBackedPages: this.pageBackedPages,
      ownerHeaderBytes: headerObjects * CACHE_HEADER,
      outsideRam,
    };
  }

  /** Pages holding at least one object of cache `id` (a walk, cached until the next change). */
  pagesHolding(id: number): number {
    try {
      return this.census().pages.get(id) ?? 0;
    } catch (e) {
      if (e instanceof KernelBug) return 0;
      throw e;
    }
  }

  /**
   * Walks every SLOB page and page-backed object, checking each page's
   * blocks, and counts objects per owner. Throws `KernelBug` naming the
   * first broken invariant. The result is reused until the next
   * allocation or free unless `force`.
   *
   * @internal
   */
  census(force = false): SlobCensus {
    if (!force && this.censusCache !== null && this.censusGeneration === this.generation) {
      return this.censusCache;
    }
    const census = takeSlobCensus(this);
    this.censusCache = census;
    this.censusGeneration = this.generation;
    return census;
  }

  /**
   * Checks every SLOB page, the free lists, every cache's counts, and the
   * object shadow against them. Throws `KernelBug` naming the first broken
   * invariant.
   */
  override checkInvariants(): void {
    checkSlobInvariants(this, this.census(true), this.objectShadow);
  }
}

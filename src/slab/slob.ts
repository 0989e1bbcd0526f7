/**
 * SLOB (mm/slob.c, "Simple List Of Blocks"), the allocator Linux offered
 * for small machines until its removal in 6.4. This file follows mm/slob.c
 * as it stood in the 6.x series (struct slab, folios, `__ksize`). The copy
 * read was a 6.1-development tree; the later patches to mm/slob.c before
 * v6.3 that we know of change tracepoint arguments only, not the logic.
 *
 * A K&R heap over whole pages. A SLOB page is an order-0 page from the
 * page allocator, with PG_slab set, holding blocks of any size, for any
 * cache and for kmalloc, mixed. Its struct page is SLOB's struct slab:
 *
 * | field     | SLOB page                                                  |
 * | --------- | ---------------------------------------------------------- |
 * | `flags`   | PG_slab; PG_private is `PageSlobFree` (on a free list)      |
 * | `private` | `units`: free SLOB units left in the page                  |
 * | `index`   | `freelist`: unit offset of the first free block            |
 * | `next/prev` | `slab_list`, on free_slob_small/medium/large             |
 * | `mapping` | 0 (`SLOB_MAPPING`): no cache id, so `slabCacheOf` is undefined |
 *
 * Space is counted in SLOB units (`SLOB_UNIT = sizeof(slob_t)`: a signed
 * 16-bit offset, 2 bytes, with pages up to 64 KiB - 2; 4 bytes with
 * 64 KiB pages). Free blocks are chained inside the page, in simulated RAM,
 * in address order, each encoding itself as mm/slob.c does: a block of one
 * unit stores `-next`; a larger block stores its size in units, then the
 * unit offset of the next free block. The last block's next is the page
 * size in units (the next page's start).
 *
 * Allocation (`slob_alloc`) picks one of three lists of partially free
 * pages by request size (< 256 bytes, < 1024, the rest), walks it for a
 * page with enough free units, and scans that page's blocks first fit
 * (`slob_page_alloc`), splitting off the head of a block when alignment
 * needs it and the tail when the block is larger than asked. A page that
 * serves a request becomes the list's first entry, so the next search
 * starts there (`list_rotate_to_front`). With no fit, a new page is taken.
 * Freeing (`slob_free`) inserts the block in address order and merges it
 * with free neighbours; a page whose blocks are all free goes back to the
 * page allocator. Costs grow with the pages on a list and the blocks on a
 * page, as in Linux: SLOB trades speed and fragmentation for footprint.
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
import { listAdd, listDel } from '../buddy/page-list.js';
import {
  __GFP_COMP,
  __GFP_DMA,
  __GFP_ZERO,
  GFP_MOVABLE_MASK,
  GFP_VALID_MASK,
  type Gfp,
} from '../gfp/flags.js';
import { checkGfp } from '../gfp/zone.js';
import { formatAddress, type VirtAddr } from '../page/address.js';
import { KernelBug } from '../page/errors.js';
import { PG } from '../page/page-flags.js';
import { ZERO_SIZE_PTR } from './kmalloc-sizes.js';
import type { SlabInfo } from './kmem-cache.js';
import {
  ARCH_SLAB_MINALIGN,
  type ObjectChecks,
  SlabAllocatorBase,
  type SlabAllocatorOptions,
  SlabCacheBase,
} from './slab-common.js';
import { SLAB_CACHE_DMA } from './slab-flags.js';

/** `SLOB_BREAK1`: requests below this many bytes use free_slob_small. */
export const SLOB_BREAK1 = 256;
/** `SLOB_BREAK2`: requests below this many bytes (and not small) use free_slob_medium. */
export const SLOB_BREAK2 = 1024;
/** Index of free_slob_small in `SlobAllocator.freeSlobLists`. */
export const SLOB_LIST_SMALL = 0;
/** Index of free_slob_medium. */
export const SLOB_LIST_MEDIUM = 1;
/** Index of free_slob_large. */
export const SLOB_LIST_LARGE = 2;
/** `mapping` of a SLOB page: not a cache id (ids start at 1). */
export const SLOB_MAPPING = 0;
/** The kmalloc header: `max(ARCH_KMALLOC_MINALIGN, arch_slab_minalign())` bytes. */
const MINALIGN = ARCH_SLAB_MINALIGN;
/** mmsim's owner header before each kmem_cache object in a SLOB page. */
const CACHE_HEADER = 4;
/** The owner word of a kmalloc object (its header's second word). */
const KMALLOC_OWNER = 0;
const TWO_32 = 2 ** 32;

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function getOrder(bytes: number, pageSize: number): number {
  return Math.max(0, Math.ceil(Math.log2(bytes / pageSize)));
}

/** Which free list a request of `bytes` uses. */
function listFor(bytes: number): number {
  if (bytes < SLOB_BREAK1) return SLOB_LIST_SMALL;
  return bytes < SLOB_BREAK2 ? SLOB_LIST_MEDIUM : SLOB_LIST_LARGE;
}

/** What a walk over every SLOB page finds (`checkInvariants`, slabinfo). */
export interface SlobCensus {
  /** Live small kmalloc objects. */
  kmalloc: number;
  /** Live objects per cache id. */
  live: Map<number, number>;
  /** Constructed free objects per cache id. */
  cached: Map<number, number>;
  /** Pages holding at least one object per cache id. */
  pages: Map<number, number>;
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

/** A SLOB cache: a size, an alignment and a ctor; its objects live in the shared SLOB pages. */
export class SlobCache extends SlabCacheBase implements ObjectChecks {
  /** Whether objects are blocks in SLOB pages (else whole pages each). */
  readonly slobBacked: boolean;
  /** Bytes asked of the heap per object: the object and its owner header. */
  readonly blockBytes: number;
  /** Order of each object's pages when not `slobBacked`. */
  readonly pageOrder: number;
  /** Freed objects kept constructed (physical addresses), for caches with a ctor. */
  private cached: Float64Array;
  /** Entries of `cached` in use. */
  nrCached = 0;
  private readonly slob: SlobAllocator;
  private readonly dma: boolean;
  private readonly pageOffset: number;
  private readonly pageSize: number;

  constructor(
    slob: SlobAllocator,
    id: number,
    name: string,
    objectSize: number,
    align: number,
    flags: number,
    ctor: ((obj: VirtAddr) => void) | undefined,
  ) {
    const pageSize = slob.arch.pageSize;
    const unit = slob.unit;
    // The object sits at a multiple of `align` after its header: at `align`
    // at the earliest, since the header comes first.
    const slobBacked = Math.max(align, MINALIGN) + Math.ceil(objectSize / unit) * unit <= pageSize;
    const blockBytes = objectSize + CACHE_HEADER;
    const pageOrder = slobBacked ? 0 : getOrder(objectSize, pageSize);
    const size = slobBacked ? Math.ceil(blockBytes / unit) * unit : pageSize * 2 ** pageOrder;
    super(slob, id, name, objectSize, size, align, flags, ctor);
    this.slob = slob;
    this.slobBacked = slobBacked;
    this.blockBytes = blockBytes;
    this.pageOrder = pageOrder;
    this.dma = (flags & SLAB_CACHE_DMA) !== 0;
    this.pageOffset = slob.arch.pageOffset;
    this.pageSize = pageSize;
    this.cached = new Float64Array(ctor === undefined ? 0 : 16);
  }

  /** `kmem_cache_alloc`: a constructed free object if one is kept, else a new block (or pages). */
  alloc(gfp: Gfp): VirtAddr | null {
    if (
      gfp >>> 0 !== gfp ||
      (gfp & ~GFP_VALID_MASK) !== 0 ||
      (gfp & GFP_MOVABLE_MASK) === GFP_MOVABLE_MASK
    ) {
      checkGfp('kmemCacheAlloc', gfp);
    }
    if (!this.alive) this.checkAlive('kmemCacheAlloc');
    const slob = this.slob;
    if (slob.failslab !== null && slob.shouldFailslab(gfp)) return null;
    let pa: number;
    if (this.nrCached > 0) {
      pa = this.cached[--this.nrCached] as number;
    } else {
      pa = this.slobBacked ? this.newBlock(gfp) : this.newPages(gfp);
      if (pa < 0) return null;
      if (this.ctor !== undefined) this.ctor((pa + this.pageOffset) as VirtAddr);
    }
    slob.shadowSet(pa);
    this.liveObjects++;
    slob.generation++;
    if ((gfp & __GFP_ZERO) !== 0) slob.zeroBytes(pa, this.objectSize);
    return (pa + this.pageOffset) as VirtAddr;
  }

  /** A block from the SLOB heap with the owner header written; the object's address, or -1. */
  private newBlock(gfp: Gfp): number {
    const block = this.slob.slobAlloc(
      this.blockBytes,
      this.objectSize,
      gfp,
      this.align,
      CACHE_HEADER,
      this.dma || (gfp & __GFP_DMA) !== 0,
    );
    if (block < 0) return -1;
    this.slob.memory.store32(block, this.id);
    return block + CACHE_HEADER;
  }

  /** `slob_new_pages` for an object too large for a SLOB page. */
  private newPages(gfp: Gfp): number {
    const slob = this.slob;
    const order = this.pageOrder;
    const pfn = slob.buddy.allocPages(
      slob.fixGfp(gfp & ~__GFP_ZERO) | (this.dma ? __GFP_DMA : 0) | (order > 0 ? __GFP_COMP : 0),
      order,
    );
    if (pfn === null) return -1;
    slob.memMap.setFlag(pfn, PG.slab);
    slob.memMap.mapping[pfn] = this.id;
    slob.pageBackedPages += 2 ** order;
    slob.accountPages(2 ** order);
    return pfn * this.pageSize;
  }

  /** Throws `KernelBug`, with the kernel's report, unless `va` is a live object of this cache. */
  checkObject(fn: string, va: number): void {
    const slob = this.slob;
    const head = slob.headOfObject(fn, va);
    if (slob.isSlobPage(head)) {
      const owner = slob.liveSlobObject(fn, va, this.name);
      if (owner !== this.id) {
        const from = owner === KMALLOC_OWNER ? 'kmalloc' : slob.cacheNameOf(owner);
        slob.report(this.name, `${fn}: Wrong slab cache. ${this.name} but object is from ${from}`);
        throw new KernelBug(`${fn}: ${formatAddress(va)} belongs to ${from}, not ${this.name}`);
      }
      return;
    }
    this.checkOwner(fn, va, slob.slabCacheOf(head));
    const pa = va - this.pageOffset;
    if (pa !== head * this.pageSize) this.invalidPointer(fn, va);
    if (!slob.shadowTest(pa)) this.alreadyFree(fn, va);
  }

  /** `kmem_cache_free`. */
  free(obj: number): void {
    if (!this.alive) this.checkAlive('kmemCacheFree');
    this.checkObject('kmemCacheFree', obj);
    this.freeChecked(obj - this.pageOffset);
  }

  /** Frees a live object of this cache at `pa` (already checked). */
  freeChecked(pa: number): void {
    const slob = this.slob;
    slob.shadowClear(pa);
    this.liveObjects--;
    slob.generation++;
    if (this.ctor !== undefined) {
      if (this.nrCached === this.cached.length) {
        const grown = new Float64Array(Math.max(16, this.cached.length * 2));
        grown.set(this.cached);
        this.cached = grown;
      }
      this.cached[this.nrCached++] = pa;
      return;
    }
    this.release1(pa);
  }

  /** Gives one object's memory back: its block to the heap, or its pages. Returns pages freed. */
  private release1(pa: number): number {
    const slob = this.slob;
    if (this.slobBacked) return slob.slobFree(pa - CACHE_HEADER, this.blockBytes, this.objectSize);
    const pfn = pa / this.pageSize;
    const pages = 2 ** this.pageOrder;
    slob.memMap.clearFlag(pfn, PG.slab);
    slob.memMap.mapping[pfn] = 0;
    slob.pageBackedPages -= pages;
    slob.accountPages(-pages);
    slob.buddy.freePages(pfn, this.pageOrder);
    return pages;
  }

  /** Whether `pa` is one of the constructed free objects kept (a scan; for error paths). */
  holdsCached(pa: number): boolean {
    for (let i = 0; i < this.nrCached; i++) if (this.cached[i] === pa) return true;
    return false;
  }

  /** The constructed free objects kept (physical addresses). */
  cachedObjects(): number[] {
    return Array.from(this.cached.subarray(0, this.nrCached));
  }

  /** Bytes of the constructed-object stack (outside RAM). */
  get stackBytes(): number {
    return this.cached.byteLength;
  }

  /**
   * `kmem_cache_shrink`: SLOB has nothing per cache to shrink (Linux
   * returns 0); here the constructed free objects of a ctor cache go back
   * to the heap. Returns the pages that went back to the page allocator.
   */
  shrink(): number {
    this.checkAlive('kmemCacheShrink');
    let released = 0;
    while (this.nrCached > 0) released += this.release1(this.cached[--this.nrCached] as number);
    if (this.ctor !== undefined) this.cached = new Float64Array(16);
    this.slob.generation++;
    return released;
  }

  protected release(): void {
    this.shrink();
  }

  /** The usable size of an object: its size in whole SLOB units, or its pages. */
  ksize(): number {
    if (!this.slobBacked) return this.pageSize * 2 ** this.pageOrder;
    return Math.ceil(this.objectSize / this.slob.unit) * this.slob.unit;
  }

  /** What /proc/slabinfo would show; SLOB had none (see the file header). */
  slabinfo(): SlabInfo {
    const pages = this.slob.pagesHolding(this.id);
    return {
      activeObjs: this.liveObjects,
      numObjs: this.liveObjects + this.nrCached,
      objsPerSlab: Math.max(1, Math.floor(this.pageSize / this.size)),
      cacheOrder: this.pageOrder,
      limit: 0,
      batchcount: 0,
      shared: 0,
      activeSlabs: pages,
      numSlabs: pages,
      sharedAvail: 0,
    };
  }

  /** Checks this cache's counts against a walk of every SLOB page. */
  checkInvariants(): void {
    this.checkCensus(this.slob.census(true));
  }

  /** Compares the cache's counters with what the walk found. */
  checkCensus(census: SlobCensus): void {
    const live = census.live.get(this.id) ?? 0;
    const cached = census.cached.get(this.id) ?? 0;
    if (live !== this.liveObjects) {
      throw new KernelBug(
        `checkInvariants: cache ${this.name}: ${live} live objects in memory, the cache counted ${this.liveObjects}`,
      );
    }
    if (cached !== this.nrCached) {
      throw new KernelBug(
        `checkInvariants: cache ${this.name}: ${cached} constructed free objects found, ${this.nrCached} kept`,
      );
    }
  }
}

/** The SLOB allocator over a page allocator. */
export class SlobAllocator extends SlabAllocatorBase {
  readonly kind = 'slob' as const;
  /** `SLOB_UNIT`: bytes per unit (2, or 4 with 64 KiB pages). */
  readonly unit: number;
  /** `SLOB_UNITS(PAGE_SIZE)`: units per page. */
  readonly pageUnits: number;
  /** Heads of free_slob_small, free_slob_medium and free_slob_large (pfns, -1 for empty). */
  readonly freeSlobLists = new Int32Array([-1, -1, -1]);
  /** SLOB pages in use. */
  slobPages = 0;
  /** Pages of caches whose objects take whole pages. */
  pageBackedPages = 0;
  /** Live kmalloc objects in SLOB pages. */
  kmallocObjects = 0;
  /** Bumped by every allocation and free (keys the slabinfo scan). */
  generation = 0;
  /** Signed unit views over each 4 GiB chunk of RAM. */
  private readonly unitViews: readonly (Int16Array | Int32Array)[];
  /** The selected page's view and the index of its first unit (`selectPage`). */
  private view: Int16Array | Int32Array;
  private viewBase = 0;
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
    // slobidx_t is s16 while PAGE_SIZE <= 32767 * 2, else s32.
    this.unit = this.arch.pageSize <= 32767 * 2 ? 2 : 4;
    this.pageUnits = this.arch.pageSize / this.unit;
    this.unitViews = this.memory.buffers.map((b) =>
      this.unit === 2 ? new Int16Array(b) : new Int32Array(b),
    );
    this.view = this.unitViews[0] as Int16Array | Int32Array;
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

  // --- free blocks in simulated RAM ---------------------------------------

  /** Points the unit accessors at page `pfn`. */
  private selectPage(pfn: number): void {
    const pa = pfn * this.arch.pageSize;
    const chunk = Math.floor(pa / TWO_32);
    this.view = this.unitViews[chunk] as Int16Array | Int32Array;
    this.viewBase = (pa - chunk * TWO_32) / this.unit;
  }

  private raw(s: number): number {
    return this.view[this.viewBase + s] as number;
  }

  /** `slob_units`: the size of the free block at unit offset `s`. */
  private slobUnits(s: number): number {
    const v = this.raw(s);
    return v > 0 ? v : 1;
  }

  /** `slob_next`: the unit offset of the free block after `s` (pageUnits after the last). */
  private slobNext(s: number): number {
    const v = this.raw(s);
    return v < 0 ? -v : this.raw(s + 1);
  }

  /** `set_slob`: encodes a free block of `size` units at `s` whose successor is `next`. */
  private setSlob(s: number, size: number, next: number): void {
    const i = this.viewBase + s;
    if (size > 1) {
      this.view[i] = size;
      this.view[i + 1] = next;
    } else {
      this.view[i] = -next;
    }
  }

  // --- pages --------------------------------------------------------------

  /** Whether `pfn` is a SLOB page (PG_slab without a cache id). */
  isSlobPage(pfn: number): boolean {
    return this.memMap.testFlag(pfn, PG.slab) && this.memMap.mapping[pfn] === SLOB_MAPPING;
  }

  /** Counts slab pages (SLOB's are always NR_SLAB_UNRECLAIMABLE). */
  accountPages(pages: number): void {
    this.buddy.events.count('nr_slab_unreclaimable', pages);
  }

  /** `clear_slob_page_free`: takes a page off whichever free list holds it. */
  private clearSlobPageFree(pfn: number): void {
    const heads = this.freeSlobLists;
    // Only a list's first page needs its list known (list_del updates the head).
    let list = SLOB_LIST_SMALL;
    if (heads[SLOB_LIST_MEDIUM] === pfn) list = SLOB_LIST_MEDIUM;
    else if (heads[SLOB_LIST_LARGE] === pfn) list = SLOB_LIST_LARGE;
    listDel(this.memMap.next, this.memMap.prev, heads, list, pfn);
    this.memMap.clearFlag(pfn, PG.private);
  }

  /** `set_slob_page_free`: puts a page at the front of a free list. */
  private setSlobPageFree(pfn: number, list: number): void {
    listAdd(this.memMap.next, this.memMap.prev, this.freeSlobLists, list, pfn);
    this.memMap.setFlag(pfn, PG.private);
  }

  /**
   * `slob_page_alloc`: first fit in one page for `bytes`, with the address
   * `alignOffset` bytes into the block aligned to `align`. Returns the
   * block's unit offset, or -1 if no free block of the page fits.
   */
  private pageAlloc(pfn: number, bytes: number, align: number, alignOffset: number): number {
    const m = this.memMap;
    const u = this.unit;
    const units = Math.ceil(bytes / u);
    this.selectPage(pfn);
    let prev = -1;
    let cur = m.index[pfn] as number;
    for (;;) {
      let avail = this.slobUnits(cur);
      // Pages are aligned to more than any object alignment, so page offsets align as addresses do.
      const aligned = (Math.ceil((cur * u + alignOffset) / align) * align - alignOffset) / u;
      const delta = aligned - cur;
      if (avail >= units + delta) {
        let next: number;
        if (delta > 0) {
          // Split off the head of the block to align the rest.
          next = this.slobNext(cur);
          this.setSlob(aligned, avail - delta, next);
          this.setSlob(cur, delta, aligned);
          prev = cur;
          cur = aligned;
          avail = this.slobUnits(cur);
        }
        next = this.slobNext(cur);
        if (avail === units) {
          if (prev >= 0) this.setSlob(prev, this.slobUnits(prev), next);
          else m.index[pfn] = next;
        } else {
          if (prev >= 0) this.setSlob(prev, this.slobUnits(prev), cur + units);
          else m.index[pfn] = cur + units;
          this.setSlob(cur + units, avail - units, next);
        }
        const left = (m.private[pfn] as number) - units;
        m.private[pfn] = left;
        if (left === 0) this.clearSlobPageFree(pfn);
        return cur;
      }
      const next = this.slobNext(cur);
      if (next === this.pageUnits) return -1;
      prev = cur;
      cur = next;
    }
  }

  /**
   * `slob_alloc`: a block of `bytes` from the list for `classBytes`, first
   * fit over its pages, or from a new page. Returns the block's physical
   * address, or -1 when the page allocator has nothing.
   *
   * @internal
   */
  slobAlloc(
    bytes: number,
    classBytes: number,
    gfp: Gfp,
    align: number,
    alignOffset: number,
    dma: boolean,
  ): number {
    const m = this.memMap;
    const pageSize = this.arch.pageSize;
    const heads = this.freeSlobLists;
    const list = listFor(classBytes);
    const need = Math.ceil(bytes / this.unit);
    const first = heads[list] as number;
    if (first >= 0) {
      let sp = first;
      do {
        if ((m.private[sp] as number) >= need && (!dma || this.inDmaZone(sp))) {
          const b = this.pageAlloc(sp, bytes, align, alignOffset);
          if (b >= 0) {
            // list_rotate_to_front: start the next search here (Knuth vol 1, 2.5).
            if ((m.private[sp] as number) > 0) heads[list] = sp;
            return sp * pageSize + b * this.unit;
          }
        }
        sp = m.next[sp] as number;
      } while (sp !== first);
    }
    const pfn = this.buddy.allocPages(this.fixGfp(gfp & ~__GFP_ZERO) | (dma ? __GFP_DMA : 0), 0);
    if (pfn === null) return -1;
    m.setFlag(pfn, PG.slab);
    m.mapping[pfn] = SLOB_MAPPING;
    m.private[pfn] = this.pageUnits;
    m.index[pfn] = 0;
    this.selectPage(pfn);
    this.setSlob(0, this.pageUnits, this.pageUnits);
    this.setSlobPageFree(pfn, list);
    this.slobPages++;
    this.accountPages(1);
    const b = this.pageAlloc(pfn, bytes, align, alignOffset);
    if (b < 0) throw new KernelBug(`slobAlloc: ${bytes} bytes do not fit an empty page`);
    return pfn * pageSize + b * this.unit;
  }

  private inDmaZone(pfn: number): boolean {
    return this.buddy.zoneOf(pfn).name === 'DMA';
  }

  /**
   * Whether a block of `bytes` at `blockPa` could be an allocated block of
   * its SLOB page: inside the page and overlapping no free block. Changes
   * nothing.
   */
  private blockFits(blockPa: number, bytes: number): boolean {
    const m = this.memMap;
    const pageSize = this.arch.pageSize;
    const pfn = Math.floor(blockPa / pageSize);
    const b = (blockPa - pfn * pageSize) / this.unit;
    const units = Math.ceil(bytes / this.unit);
    const free = m.private[pfn] as number;
    if (!Number.isInteger(b) || b + units > this.pageUnits || free + units > this.pageUnits)
      return false;
    if (!m.testFlag(pfn, PG.private)) return free === 0;
    this.selectPage(pfn);
    const head = m.index[pfn] as number;
    if (b < head) return b + units <= head;
    let prev = head;
    let next = this.slobNext(prev);
    while (b > next) {
      prev = next;
      next = this.slobNext(prev);
    }
    if (b < prev + this.slobUnits(prev)) return false;
    return next === this.pageUnits || b + units <= next;
  }

  /**
   * `slob_free`: returns a block of `bytes` at `blockPa` (allocated for a
   * request of `classBytes`) to its page, merging it with free neighbours;
   * a page left with no allocated block goes back to the page allocator.
   * Returns the pages released (0 or 1).
   *
   * @internal
   */
  slobFree(blockPa: number, bytes: number, classBytes: number): number {
    const m = this.memMap;
    const pageSize = this.arch.pageSize;
    const pfn = Math.floor(blockPa / pageSize);
    const b = (blockPa - pfn * pageSize) / this.unit;
    let units = Math.ceil(bytes / this.unit);
    const free = m.private[pfn] as number;
    this.generation++;
    if (free + units === this.pageUnits) {
      // Go directly to the page allocator.
      if (m.testFlag(pfn, PG.private)) this.clearSlobPageFree(pfn);
      m.clearFlag(pfn, PG.slab);
      m.private[pfn] = 0;
      m.index[pfn] = 0;
      this.slobPages--;
      this.accountPages(-1);
      this.buddy.freePages(pfn, 0);
      return 1;
    }
    this.selectPage(pfn);
    if (!m.testFlag(pfn, PG.private)) {
      // The page was full: it becomes partially free.
      m.private[pfn] = units;
      m.index[pfn] = b;
      this.setSlob(b, units, this.pageUnits);
      this.setSlobPageFree(pfn, listFor(classBytes));
      return 0;
    }
    m.private[pfn] = free + units;
    const head = m.index[pfn] as number;
    if (b < head) {
      let next = head;
      if (b + units === head) {
        units += this.slobUnits(head);
        next = this.slobNext(head);
      }
      this.setSlob(b, units, next);
      m.index[pfn] = b;
      return 0;
    }
    let prev = head;
    let next = this.slobNext(prev);
    while (b > next) {
      prev = next;
      next = this.slobNext(prev);
    }
    if (next !== this.pageUnits && b + units === next) {
      units += this.slobUnits(next);
      this.setSlob(b, units, this.slobNext(next));
    } else {
      this.setSlob(b, units, next);
    }
    const prevUnits = this.slobUnits(prev);
    if (prev + prevUnits === b) this.setSlob(prev, prevUnits + units, this.slobNext(b));
    else this.setSlob(prev, prevUnits, b);
    return 0;
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
    if (!(size >= 0 && Number.isSafeInteger(size))) {
      throw new KernelBug(`kmalloc: size ${size} is not a non-negative integer`);
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

  /** Whether `pa` lies in a free block of its SLOB page (a walk; for error paths). */
  private inFreeBlock(pa: number): boolean {
    const pageSize = this.arch.pageSize;
    const pfn = Math.floor(pa / pageSize);
    if (!this.memMap.testFlag(pfn, PG.private)) return false;
    const off = (pa - pfn * pageSize) / this.unit;
    this.selectPage(pfn);
    let s = this.memMap.index[pfn] as number;
    for (let n = 0; s < this.pageUnits && n < this.pageUnits; n++) {
      if (off >= s && off < s + this.slobUnits(s)) return true;
      s = this.slobNext(s);
    }
    return false;
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

  /** The SLOB pages on free list `list` (0 small, 1 medium, 2 large), in search order. */
  pagesOnList(list: number): number[] {
    const out: number[] = [];
    const first = this.freeSlobLists[list] ?? -1;
    if (first < 0) return out;
    let sp = first;
    do {
      out.push(sp);
      sp = this.memMap.next[sp] as number;
    } while (sp !== first && out.length <= this.memMap.frames);
    return out;
  }

  /** The free blocks of SLOB page `pfn` in address order, as byte offsets and lengths. */
  freeBlocksOf(pfn: number): { offset: number; bytes: number }[] {
    const out: { offset: number; bytes: number }[] = [];
    if (!this.isSlobPage(pfn) || !this.memMap.testFlag(pfn, PG.private)) return out;
    this.selectPage(pfn);
    let s = this.memMap.index[pfn] as number;
    while (s < this.pageUnits && out.length < this.pageUnits) {
      out.push({ offset: s * this.unit, bytes: this.slobUnits(s) * this.unit });
      s = this.slobNext(s);
    }
    return out;
  }

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
    const m = this.memMap;
    const bug = (msg: string): never => {
      throw new KernelBug(`checkInvariants: slob: ${msg}`);
    };
    // The free lists.
    const onList = new Map<number, number>();
    for (let list = 0; list < 3; list++) {
      const first = this.freeSlobLists[list] as number;
      if (first < 0) continue;
      let sp = first;
      do {
        if (sp < 0 || sp >= m.frames || !this.isSlobPage(sp))
          bug(`free list ${list} holds pfn ${sp}, not a SLOB page`);
        if (onList.has(sp)) bug(`pfn ${sp} is on a free list twice`);
        onList.set(sp, list);
        const next = m.next[sp] as number;
        if (next < 0 || m.prev[next] !== sp) bug(`free list ${list} is broken at pfn ${sp}`);
        sp = next;
        if (onList.size > m.frames) bug(`free list ${list} loops`);
      } while (sp !== first);
    }
    // Constructed free objects kept by caches.
    const cachedAt = new Map<number, SlobCache>();
    for (const cache of this.cacheList) {
      if (!(cache instanceof SlobCache)) continue;
      for (const pa of cache.cachedObjects()) {
        if (cachedAt.has(pa)) bug(`object ${pa} is kept free twice`);
        if (this.shadowTest(pa)) bug(`object ${pa} of ${cache.name} is kept free but marked live`);
        cachedAt.set(pa, cache);
      }
    }
    const census: SlobCensus = {
      kmalloc: 0,
      live: new Map(),
      cached: new Map(),
      pages: new Map(),
    };
    let slobPages = 0;
    let pageBacked = 0;
    let cachedSeen = 0;
    const countObject = (cache: SlobCache, pa: number): void => {
      if (this.shadowTest(pa)) {
        census.live.set(cache.id, (census.live.get(cache.id) ?? 0) + 1);
      } else if (cachedAt.get(pa) === cache) {
        census.cached.set(cache.id, (census.cached.get(cache.id) ?? 0) + 1);
        cachedSeen++;
      } else {
        bug(`object ${pa} of ${cache.name} is neither live nor kept free`);
      }
    };
    for (let pfn = 0; pfn < m.frames; pfn++) {
      if (!m.testFlag(pfn, PG.slab)) continue;
      const mapping = m.mapping[pfn] as number;
      if (mapping === SLOB_MAPPING) {
        slobPages++;
        this.checkPage(pfn, onList.get(pfn), census, countObject, bug);
        continue;
      }
      const cache = this.cacheById[mapping];
      if (!(cache instanceof SlobCache) || cache.slobBacked)
        bug(`pfn ${pfn} is a slab page of ${mapping}, not a page-backed SLOB cache`);
      const owner = cache as SlobCache;
      if (this.buddy.allocatedOrder(pfn) !== owner.pageOrder)
        bug(`pfn ${pfn} of ${owner.name} has the wrong order`);
      countObject(owner, pfn * this.arch.pageSize);
      census.pages.set(owner.id, (census.pages.get(owner.id) ?? 0) + 2 ** owner.pageOrder);
      pageBacked += 2 ** owner.pageOrder;
    }
    if (slobPages !== this.slobPages)
      bug(`${slobPages} SLOB pages in mem_map, slobPages says ${this.slobPages}`);
    if (pageBacked !== this.pageBackedPages)
      bug(`${pageBacked} page-backed object pages, pageBackedPages says ${this.pageBackedPages}`);
    if (cachedSeen !== cachedAt.size)
      bug(`${cachedAt.size - cachedSeen} kept free objects are not in any block`);
    this.censusCache = census;
    this.censusGeneration = this.generation;
    return census;
  }

  /** Checks one SLOB page: its free chain, its allocated blocks, its list. */
  private checkPage(
    pfn: number,
    list: number | undefined,
    census: SlobCensus,
    countObject: (cache: SlobCache, pa: number) => void,
    bug: (msg: string) => never,
  ): void {
    const m = this.memMap;
    const u = this.unit;
    const total = this.pageUnits;
    const base = pfn * this.arch.pageSize;
    if (this.buddy.allocatedOrder(pfn) !== 0) bug(`SLOB page ${pfn} is not an order-0 allocation`);
    const units = m.private[pfn] as number;
    const onFree = m.testFlag(pfn, PG.private);
    if (onFree !== (list !== undefined)) bug(`SLOB page ${pfn}: PageSlobFree disagrees with lists`);
    if (onFree && !(units > 0 && units < total))
      bug(`SLOB page ${pfn} on a list has ${units} free units`);
    if (!onFree && units !== 0) bug(`SLOB page ${pfn} off the lists has ${units} free units`);
    const noShadow = (from: number, to: number, except: number, what: string): void => {
      for (let a = Math.ceil(from / 8) * 8; a < to; a += 8) {
        if (a !== except && this.shadowTest(a))
          bug(`SLOB page ${pfn}: ${what} holds a live mark at ${a}`);
      }
    };
    // Free blocks, in address order, inside the page, not overlapping.
    const starts: number[] = [];
    const ends: number[] = [];
    if (onFree) {
      this.selectPage(pfn);
      let s = m.index[pfn] as number;
      let end = 0;
      let sum = 0;
      for (;;) {
        if (!(s >= end && s < total))
          bug(`SLOB page ${pfn}: free block at unit ${s} out of order or outside`);
        // slob_free merges a block with its free neighbours: free blocks never touch.
        if (s === end && starts.length > 0)
          bug(`SLOB page ${pfn}: free blocks meeting at unit ${s} were not merged`);
        const size = this.slobUnits(s);
        const next = this.slobNext(s);
        if (s + size > total) bug(`SLOB page ${pfn}: free block at unit ${s} runs past the page`);
        starts.push(s);
        ends.push(s + size);
        noShadow(base + s * u, base + (s + size) * u, -1, `free block at unit ${s}`);
        sum += size;
        end = s + size;
        if (next === total) break;
        if (next <= s) bug(`SLOB page ${pfn}: free block at unit ${s} points back to ${next}`);
        s = next;
      }
      if (sum !== units)
        bug(`SLOB page ${pfn}: free blocks hold ${sum} units, units says ${units}`);
    }
    // Allocated blocks fill the gaps exactly; each carries its header.
    let cls = -1;
    let pos = 0;
    const owners = new Set<number>();
    for (let i = 0; i <= starts.length; i++) {
      const gapEnd = i < starts.length ? (starts[i] as number) : total;
      while (pos < gapEnd) {
        const blockPa = base + pos * u;
        let blockUnits: number;
        let blockClass: number;
        let obj: number;
        if (blockPa % 8 === 0) {
          const size = this.memory.load32(blockPa);
          if (
            this.memory.load32(blockPa + 4) !== KMALLOC_OWNER ||
            size < 1 ||
            size >= this.arch.pageSize - MINALIGN
          )
            bug(`SLOB page ${pfn}: no kmalloc header at unit ${pos}`);
          blockUnits = Math.ceil((size + MINALIGN) / u);
          blockClass = listFor(size + MINALIGN);
          obj = blockPa + MINALIGN;
          if (!this.shadowTest(obj))
            bug(`SLOB page ${pfn}: kmalloc object ${obj} is not marked live`);
          census.kmalloc++;
        } else if (blockPa % 8 === CACHE_HEADER) {
          const id = this.memory.load32(blockPa);
          const cache = this.cacheById[id];
          if (!(cache instanceof SlobCache) || !cache.slobBacked)
            bug(`SLOB page ${pfn}: block at unit ${pos} has owner ${id}, not a SLOB cache`);
          const owner = cache as SlobCache;
          blockUnits = Math.ceil(owner.blockBytes / u);
          blockClass = listFor(owner.objectSize);
          obj = blockPa + CACHE_HEADER;
          countObject(owner, obj);
          owners.add(id);
        } else {
          bug(`SLOB page ${pfn}: no block can start at unit ${pos}`);
        }
        if (pos + blockUnits > gapEnd)
          bug(`SLOB page ${pfn}: block at unit ${pos} overlaps a free block`);
        noShadow(blockPa, blockPa + blockUnits * u, obj, `block at unit ${pos}`);
        if (cls < 0) cls = blockClass;
        else if (cls !== blockClass)
          bug(`SLOB page ${pfn} mixes blocks of lists ${cls} and ${blockClass}`);
        pos += blockUnits;
      }
      if (i < starts.length) pos = ends[i] as number;
    }
    if (cls < 0) bug(`SLOB page ${pfn} has no allocated block but was not given back`);
    if (list !== undefined && list !== cls)
      bug(`SLOB page ${pfn} of list ${cls} is on list ${list}`);
    for (const id of owners) census.pages.set(id, (census.pages.get(id) ?? 0) + 1);
  }

  /**
   * Checks every SLOB page, the free lists, every cache's counts, and the
   * object shadow against them. Throws `KernelBug` naming the first broken
   * invariant.
   */
  override checkInvariants(): void {
    const census = this.census(true);
    let live = census.kmalloc;
    for (const cache of this.cacheList) {
      (cache as SlobCache).checkCensus(census);
      live += cache.liveObjects;
    }
    if (census.kmalloc !== this.kmallocObjects) {
      throw new KernelBug(
        `checkInvariants: slob: ${census.kmalloc} kmalloc objects in memory, ${this.kmallocObjects} counted`,
      );
    }
    let marked = 0;
    const shadow = this.objectShadow;
    for (let i = 0; i < shadow.length; i++) {
      let b = shadow[i] as number;
      while (b !== 0) {
        b &= b - 1;
        marked++;
      }
    }
    if (marked !== live) {
      throw new KernelBug(`checkInvariants: ${marked} objects are marked live, SLOB holds ${live}`);
    }
  }
}

/**
 * SLOB's kmem_cache, `SlobCache`: a size, an alignment and a ctor. Its
 * objects are blocks in the shared SLOB pages, each behind mmsim's 4-byte
 * owner header, or whole pages when an object cannot share a page with its
 * header; a cache with a ctor keeps its freed objects constructed on a
 * stack of addresses. How these differ from mm/slob.c is listed in
 * slob.ts's header.
 */

import { __GFP_COMP, __GFP_DMA, __GFP_ZERO, type Gfp } from '../gfp/flags.js';
import { checkGfp } from '../gfp/zone.js';
import { formatAddress, type VirtAddr } from '../page/address.js';
import { KernelBug } from '../page/errors.js';
import { PG } from '../page/page-flags.js';
import type { SlabInfo } from './kmem-cache.js';
import { type ObjectChecks, SlabCacheBase } from './slab-common.js';
import { SLAB_CACHE_DMA } from './slab-flags.js';
import type { SlobAllocator } from './slob.js';
import { CACHE_HEADER, KMALLOC_OWNER, MINALIGN } from './slob-heap.js';
import type { SlobCensus } from './slob-invariants.js';

function getOrder(bytes: number, pageSize: number): number {
  return Math.max(0, Math.ceil(Math.log2(bytes / pageSize)));
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
    // checkGfp allocates nothing on success: a type test and three masks.
    checkGfp('kmemCacheAlloc', gfp);
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

  /** What /proc/slabinfo would show; SLOB had none (see slob.ts's header). */
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

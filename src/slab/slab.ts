/**
 * SLAB (mm/slab.c), Bonwick's slab allocator as Linux had it until its
 * removal in 6.8: caches of equally sized objects carved from slabs, with
 * per-CPU object arrays in front and per-node slab lists behind.
 *
 * Which Linux: the algorithms and numbers follow mm/slab.c of the 5.x/6.x
 * line (array caches, `cache_alloc_refill`, `cache_flusharray`,
 * `free_block`, `calculate_slab_order` with the three ways of keeping the
 * freelist, colouring, `enable_cpucache`), read from a 5.1x mainline copy
 * (the kfence era, before the 5.17 `struct slab` rename), with the 6.1
 * change that sends kmalloc requests above two pages to the page allocator
 * and allocates off-slab freelists with `kmalloc` (commit d6a71648dbc0 and
 * its fix "use kmalloc_node() for off slab freelist_idx_t array
 * allocation"). 6.7, the last release with SLAB, is meant; no 6.x copy of
 * the whole file was at hand to compare line by line.
 *
 * This file holds `SlabCache` (its state and tunables, the array-cache
 * fast paths, the object checks, shrink and slabinfo) and `SlabAllocator`.
 * The rest of SLAB:
 *
 * - slab-layout.ts: a cache's geometry (slot size, order, objects per
 *   slab, where the freelist lives, colouring) and the struct slab fields
 *   of one slab;
 * - slab-node.ts: the slab lists and the shared array behind the per-CPU
 *   arrays, and the slow paths (refill, flush, `free_block`, growing and
 *   destroying slabs);
 * - slab-invariants.ts: `checkInvariants`.
 *
 * Fast paths: each CPU has an array cache (`struct array_cache`: `avail`,
 * `limit`, `batchcount`, `touched`, a LIFO stack of free objects).
 * `alloc` pops it; `free` pushes onto it; an empty array is refilled and a
 * full one flushed by the slow paths of slab-node.ts. Objects in array
 * caches count as allocated in the slab lists and in /proc/slabinfo, as in
 * Linux.
 *
 * Where state lives: objects and on-slab/objfreelist freelists in the
 * slab's own pages, off-slab freelists in kmalloc objects, slab fields in
 * struct page, all in simulated RAM as in Linux. The array caches are
 * per-cache typed arrays (`Float64Array` of object physical addresses,
 * `Int32Array` of `avail` counts) instead of percpu kmalloc'd structures,
 * and the kmem_cache_node counters are plain fields: there is one node.
 *
 * Simplifications, each deliberate:
 *
 * - One node: no alien caches, no `fallback_alloc`; the shared array
 *   (sharedfactor 8 for objects up to a page, when there is more than one
 *   CPU) is the node's.
 * - `cache_reap` (the 2-second timer that trims array caches and free
 *   slabs) is not modelled: arrays drain when full, on `shrink` and on
 *   `destroy`, and `touched` is never cleared again.
 * - `__GFP_NOFAIL` is passed to the page allocator (Linux's UMA
 *   `gfp_exact_node` drops it) so that the contract "NOFAIL never fails"
 *   holds for every slab implementation.
 * - Debugging (SLAB_RED_ZONE, SLAB_POISON, SLAB_STORE_USER, from
 *   `slubDebug`) keeps SLAB's layout (an 8-byte red zone before the object,
 *   one at the end of the slot, the user word last) but reuses SLUB's
 *   byte-pattern helpers and report wording from slab-debug.ts: red zones
 *   are 0xbb/0xcc bytes instead of the 64-bit RED_INACTIVE
 *   0x09F911029D74E35B and RED_ACTIVE 0xD84156C5635688C0, and the right red
 *   zone check also covers the alignment padding between the object and
 *   the second red-zone word. As in Linux, red zones and the user word are
 *   dropped for alignments above 8; allocated objects are filled with
 *   POISON_INUSE. The user word records the CPU (mmsim has no return
 *   addresses). Objects of caches with a ctor are not poisoned (SLUB's rule;
 *   Linux SLAB poisoned them and ran the ctor on every allocation, which
 *   the contract rules out). With debug flags, `limit` is capped at 32 as
 *   under CONFIG_DEBUG_SLAB.
 * - `slab_max_order` is 1 above 32 MiB of managed memory, else 0, as at
 *   boot; there is no `slab_max_order=` option and no /proc/slabinfo
 *   tuning write.
 *
 * kmalloc: the kmalloc size classes are SLUB's for every implementation
 * (kmalloc-8 .. kmalloc-8k, KMALLOC_MAX_CACHE_SIZE two pages), which is
 * also what SLAB had from 6.1 on. Before 6.1 SLAB had kmalloc caches up to
 * 32 MiB (KMALLOC_SHIFT_HIGH = min(MAX_ORDER + PAGE_SHIFT, 25)) and no
 * kmalloc-8 or kmalloc-16 (KMALLOC_MIN_SIZE 32); here kmalloc-8 objects
 * take 16-byte slots (SLAB_OBJ_MIN_SIZE, for the one-byte freelist index).
 */

import type { BuddyAllocator } from '../buddy/buddy-allocator.js';
import {
  __GFP_COMP,
  __GFP_DMA,
  __GFP_DMA32,
  __GFP_RECLAIMABLE,
  __GFP_ZERO,
  type Gfp,
} from '../gfp/flags.js';
import { checkGfp } from '../gfp/zone.js';
import type { VirtAddr } from '../page/address.js';
import { checkCount, checkPageSize } from '../page/validate.js';
import type { SlabInfo } from './kmem-cache.js';
import {
  checkCacheShape,
  type ObjectChecks,
  SlabAllocatorBase,
  type SlabAllocatorOptions,
  SlabCacheBase,
} from './slab-common.js';
import { checkObject, type DebugLayout, hasObjectDebug, initObject } from './slab-debug.js';
import {
  POISON_END,
  POISON_INUSE,
  SLAB_CACHE_DMA,
  SLAB_CACHE_DMA32,
  SLAB_POISON,
  SLAB_RECLAIM_ACCOUNT,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
} from './slab-flags.js';
import { checkSlabCacheInvariants } from './slab-invariants.js';
import {
  REDZONE_ALIGN,
  type SlabGeometry,
  type SlabManagement,
  slabActive,
  slabFreelist,
  slabGeometry,
  slabMemStart,
} from './slab-layout.js';
import {
  cacheAllocRefill,
  cacheFlusharray,
  destroyFreeSlab,
  freeBlock,
  SLABS_FREE,
  SLABS_FULL,
  SLABS_PARTIAL,
} from './slab-node.js';

export type { SlabGeometry, SlabManagement } from './slab-layout.js';
export { BATCHREFILL_LIMIT, SLABS_FREE, SLABS_FULL, SLABS_PARTIAL } from './slab-node.js';

/** `enable_cpucache`: the array cache limit for a slot size. */
export function cpucacheLimit(size: number, pageSize: number): number {
  checkCount('cpucacheLimit', 'size', size);
  checkPageSize('cpucacheLimit', pageSize);
  if (size > 131072) return 1;
  if (size > pageSize) return 8;
  if (size > 1024) return 24;
  if (size > 256) return 54;
  return 120;
}

/** A SLAB cache. */
export class SlabCache extends SlabCacheBase implements ObjectChecks {
  /** Objects per slab (`num`). */
  readonly num: number;
  /** log2 of the pages per slab (`gfporder`). */
  readonly gfporder: number;
  /** Number of colour slots (`colour`). */
  readonly colour: number;
  /** Bytes between colour slots (`colour_off`: a cache line, or the alignment if larger). */
  readonly colourOff: number;
  /** Bytes from the slot start to the object (`obj_offset`). */
  readonly objOffset: number;
  /** Where each slab's freelist lives. */
  readonly mgmt: SlabManagement;
  /** Bytes of one freelist index (`sizeof(freelist_idx_t)`). */
  readonly idxSize: 1 | 2;
  /** Bytes of the freelist (`freelist_size`). */
  readonly freelistSize: number;
  /** Array cache capacity (`limit`). */
  readonly limit: number;
  /** Objects moved per refill or flush (`batchcount`). */
  readonly batchcount: number;
  /** Shared array factor (`shared`): its capacity is `shared * batchcount`; 0 for none. */
  readonly shared: number;
  /** Free objects the node keeps before destroying free slabs (`free_limit`). */
  readonly freeLimit: number;
  /** Per-CPU array caches: CPU `c` owns entries `[c * limit, c * limit + avail)`, physical addresses of objects. */
  readonly acEntry: Float64Array;
  /** Per-CPU `avail`. */
  readonly acAvail: Int32Array;
  /** Per-CPU `touched`. */
  readonly acTouched: Uint8Array;
  /** The node's shared array (empty when `shared` is 0). */
  readonly sharedEntry: Float64Array;
  /** Objects in the shared array. */
  sharedAvail = 0;
  /** Heads of `slabs_full`, `slabs_partial`, `slabs_free` (pfns, -1 for empty). */
  readonly lists = new Int32Array([-1, -1, -1]);
  /** `total_slabs`. */
  totalSlabs = 0;
  /** `free_slabs`. */
  freeSlabs = 0;
  /** `free_objects`: free objects in the slabs (not in array caches). */
  freeObjects = 0;
  /** `colour_next`. */
  colourNext = 0;
  // Not private: slab-layout.ts, slab-node.ts and slab-invariants.ts use them too.
  /** @internal */
  readonly slab: SlabAllocator;
  /** @internal */
  readonly allocFlags: number;
  /** @internal */
  readonly debugLayout: DebugLayout | null;
  /**
   * Offset of the user word from the object, -1 without SLAB_STORE_USER.
   *
   * @internal
   */
  readonly userWord: number;
  /** @internal */
  readonly pageSize: number;
  /** @internal */
  readonly pageOffset: number;
  /** @internal */
  readonly slabBytes: number;

  constructor(
    slab: SlabAllocator,
    id: number,
    name: string,
    objectSize: number,
    align: number,
    flags: number,
    ctor: ((obj: VirtAddr) => void) | undefined,
  ) {
    const geo = SlabCache.geometry(slab, objectSize, align, flags, ctor !== undefined);
    super(slab, id, name, objectSize, geo.size, align, geo.flags, ctor);
    this.slab = slab;
    this.pageSize = slab.arch.pageSize;
    this.pageOffset = slab.arch.pageOffset;
    this.num = geo.num;
    this.gfporder = geo.order;
    this.slabBytes = this.pageSize * 2 ** geo.order;
    this.colour = geo.colour;
    this.colourOff = geo.colourOff;
    this.objOffset = geo.objOffset;
    this.mgmt = geo.mgmt;
    this.idxSize = geo.idxSize;
    this.freelistSize = geo.num * geo.idxSize;
    const debug = hasObjectDebug(geo.flags);
    // enable_cpucache; CONFIG_DEBUG_SLAB caps the limit at 32.
    let limit = cpucacheLimit(geo.size, this.pageSize);
    if (debug && limit > 32) limit = 32;
    const cpus = slab.buddy.cpus;
    this.limit = limit;
    this.batchcount = Math.floor((limit + 1) / 2);
    this.shared = geo.size <= this.pageSize && cpus > 1 ? 8 : 0;
    this.freeLimit = (1 + cpus) * this.batchcount + geo.num;
    this.acEntry = new Float64Array(cpus * limit);
    this.acAvail = new Int32Array(cpus);
    this.acTouched = new Uint8Array(cpus);
    this.sharedEntry = new Float64Array(this.shared * this.batchcount);
    this.allocFlags =
      __GFP_COMP |
      ((geo.flags & SLAB_CACHE_DMA) !== 0 ? __GFP_DMA : 0) |
      ((geo.flags & (SLAB_CACHE_DMA | SLAB_CACHE_DMA32)) === SLAB_CACHE_DMA32 ? __GFP_DMA32 : 0) |
      ((geo.flags & SLAB_RECLAIM_ACCOUNT) !== 0 ? __GFP_RECLAIMABLE : 0);
    const redZone = (geo.flags & SLAB_RED_ZONE) !== 0;
    const storeUser = (geo.flags & SLAB_STORE_USER) !== 0;
    const userBytes = storeUser ? (redZone ? REDZONE_ALIGN : slab.pointerSize) : 0;
    this.userWord = storeUser ? geo.size - geo.objOffset - userBytes : -1;
    this.debugLayout = debug
      ? {
          name,
          flags: geo.flags,
          objectSize,
          // The right red zone runs from the object's end to the end of the second red-zone word.
          inuse: redZone ? geo.size - geo.objOffset - userBytes : objectSize,
          redLeftPad: geo.objOffset,
          trackOffset: this.userWord,
          poison: (geo.flags & SLAB_POISON) !== 0 && ctor === undefined,
        }
      : null;
  }

  /**
   * `__kmem_cache_create`: the slot size and layout, then the slab order,
   * objects per slab and freelist placement (objfreelist, off-slab, on-slab,
   * tried in that order), and the colouring (see slab-layout.ts).
   */
  static geometry(
    slab: SlabAllocator,
    objectSize: number,
    align: number,
    flags: number,
    hasCtor: boolean,
  ): SlabGeometry {
    checkCacheShape('SlabCache.geometry', objectSize, align, flags, hasCtor);
    return slabGeometry(slab, objectSize, align, flags, hasCtor);
  }

  // --- struct slab fields (slab-layout.ts) --------------------------------

  /** `slab->active`: objects of the slab handed out (to users or array caches). */
  slabActive(head: number): number {
    return slabActive(this, head);
  }

  /** `slab->s_mem`: physical address of the slab's first object slot. */
  slabMemStart(head: number): number {
    return slabMemStart(this, head);
  }

  /** Physical address of the slab's freelist index array, -1 when NULL (a full objfreelist slab). */
  slabFreelist(head: number): number {
    return slabFreelist(this, head);
  }

  // --- allocation ---------------------------------------------------------

  /** `kmem_cache_alloc`. */
  alloc(gfp: Gfp): VirtAddr | null {
    // checkGfp allocates nothing on success: a type test and three masks.
    checkGfp('kmemCacheAlloc', gfp);
    if (!this.alive) this.checkAlive('kmemCacheAlloc');
    const slab = this.slab;
    if (slab.failslab !== null && slab.shouldFailslab(gfp)) return null;
    const cpu = slab.buddy.cpu;
    let avail = this.acAvail[cpu] as number;
    let obj: number;
    if (avail > 0) {
      // ____cache_alloc: the fast path.
      this.acTouched[cpu] = 1;
      obj = this.acEntry[cpu * this.limit + --avail] as number;
      this.acAvail[cpu] = avail;
    } else {
      obj = cacheAllocRefill(this, gfp, cpu);
      if (obj < 0) return null;
    }
    slab.shadowSet(obj);
    this.liveObjects++;
    if (this.debugLayout !== null) this.allocDebug(obj, cpu);
    if ((gfp & __GFP_ZERO) !== 0) slab.zeroBytes(obj, this.objectSize);
    return (obj + this.pageOffset) as VirtAddr;
  }

  /** `cache_alloc_debugcheck_after`. */
  private allocDebug(obj: number, cpu: number): void {
    const layout = this.debugLayout as DebugLayout;
    const sink = this.slab.debugSink;
    checkObject(sink, layout, obj, false);
    initObject(sink, layout, obj, true);
    if (layout.poison) {
      const bytes = new Uint8Array(this.objectSize).fill(POISON_INUSE);
      bytes[this.objectSize - 1] = POISON_END;
      this.slab.memory.write(obj, bytes);
    }
    if (this.userWord >= 0) this.slab.memory.store32(obj + this.userWord, cpu);
  }

  // --- freeing ----------------------------------------------------------------

  /** Throws `KernelBug`, with the kernel's report, unless `va` is a live object of this cache. */
  checkObject(fn: string, va: number): void {
    this.checkObjectIn(fn, va, this.slab.headOfObject(fn, va));
  }

  /** `checkObject` when the slab's head frame is known. */
  private checkObjectIn(fn: string, va: number, head: number): void {
    const slab = this.slab;
    const pa = va - this.pageOffset;
    this.checkOwner(fn, va, slab.slabCacheOf(head));
    const offset = pa - slabMemStart(this, head) - this.objOffset;
    if (offset < 0 || offset % this.size !== 0 || offset / this.size >= this.num)
      this.invalidPointer(fn, va);
    if (!slab.shadowTest(pa)) this.alreadyFree(fn, va);
  }

  /** `kmem_cache_free`: onto this CPU's array cache, flushing half of it first when it is full. */
  free(obj: number): void {
    if (!this.alive) this.checkAlive('kmemCacheFree');
    this.checkObjectIn('kmemCacheFree', obj, this.slab.headOfObject('kmemCacheFree', obj));
    this.freeChecked(obj - this.pageOffset);
  }

  /** `kfree` of an object of this cache, whose slab `kfree` has found already. */
  override kfreeIn(head: number, va: number): void {
    this.checkObjectIn('kfree', va, head);
    this.freeChecked(va - this.pageOffset);
  }

  /** `___cache_free`: the object at `pa`, checked, goes onto this CPU's array. */
  private freeChecked(pa: number): void {
    const slab = this.slab;
    const cpu = slab.buddy.cpu;
    slab.shadowClear(pa);
    this.liveObjects--;
    if (this.debugLayout !== null) {
      // cache_free_debugcheck.
      checkObject(slab.debugSink, this.debugLayout, pa, true);
      if (this.userWord >= 0) slab.memory.store32(pa + this.userWord, cpu);
      initObject(slab.debugSink, this.debugLayout, pa, false);
    }
    if ((this.acAvail[cpu] as number) >= this.limit) cacheFlusharray(this, cpu);
    const avail = this.acAvail[cpu] as number;
    this.acEntry[cpu * this.limit + avail] = pa;
    this.acAvail[cpu] = avail + 1;
  }

  /**
   * `__kmem_cache_shrink`: every array cache and the shared array drain
   * into the slabs, then every free slab is destroyed. Returns the pages
   * released.
   */
  shrink(): number {
    this.checkAlive('kmemCacheShrink');
    let released = 0;
    for (let cpu = 0; cpu < this.acAvail.length; cpu++) {
      released += freeBlock(this, this.acEntry, cpu * this.limit, this.acAvail[cpu] as number);
      this.acAvail[cpu] = 0;
    }
    if (this.sharedAvail > 0) {
      released += freeBlock(this, this.sharedEntry, 0, this.sharedAvail);
      this.sharedAvail = 0;
    }
    while ((this.lists[SLABS_FREE] as number) >= 0) released += destroyFreeSlab(this);
    return released;
  }

  protected release(): void {
    this.shrink();
  }

  /** `__ksize` under SLAB: the cache's `object_size`. */
  ksize(): number {
    return this.objectSize;
  }

  /** `get_slabinfo`: objects in array caches count as active, as in Linux. */
  slabinfo(): SlabInfo {
    const numObjs = this.totalSlabs * this.num;
    return {
      activeObjs: numObjs - this.freeObjects,
      numObjs,
      objsPerSlab: this.num,
      cacheOrder: this.gfporder,
      limit: this.limit,
      batchcount: this.batchcount,
      shared: this.shared,
      activeSlabs: this.totalSlabs - this.freeSlabs,
      numSlabs: this.totalSlabs,
      sharedAvail: this.sharedAvail,
    };
  }

  /** The number of slabs on each list (walks the lists). */
  slabCounts(): { full: number; partial: number; free: number } {
    const m = this.slab.memMap;
    const count = (list: number): number => {
      const first = this.lists[list] as number;
      if (first < 0) return 0;
      let n = 0;
      let pfn = first;
      do {
        n++;
        pfn = m.next[pfn] as number;
      } while (pfn !== first && n <= this.totalSlabs);
      return n;
    };
    return { full: count(SLABS_FULL), partial: count(SLABS_PARTIAL), free: count(SLABS_FREE) };
  }

  /**
   * Checks the cache against its slabs (a scan of mem_map): each slab is
   * on exactly the list its active count names, the freelist index arrays
   * agree with the active counts, array-cache entries are free objects of
   * this cache's slabs, shadow bits mark exactly the live objects, and the
   * node counters agree with the lists (slab-invariants.ts).
   */
  checkInvariants(): void {
    checkSlabCacheInvariants(this);
  }
}

/** The SLAB allocator over a page allocator. */
export class SlabAllocator extends SlabAllocatorBase {
  readonly kind = 'slab' as const;
  /** `slab_max_order`: 1 above 32 MiB of managed memory, else 0. */
  readonly slabMaxOrder: number;

  /**
   * @example
   * ```ts
   * const slab = new SlabAllocator(new BuddyAllocator(new PhysicalMemory(64 * 2 ** 20)));
   * const cache = slab.kmemCacheCreate('task_struct', 1024, { flags: SLAB_HWCACHE_ALIGN });
   * const obj = cache.alloc(GFP_KERNEL);
   * slab.caches[0]?.slabinfo(); // limit 54, batchcount 27 for 1 KiB objects
   * ```
   */
  constructor(buddy: BuddyAllocator, options: SlabAllocatorOptions = {}) {
    super(buddy, options);
    let managed = 0;
    for (const zone of buddy.zones) managed += zone.managed;
    this.slabMaxOrder = managed > (32 * 2 ** 20) / buddy.arch.pageSize ? 1 : 0;
    this.createKmallocCaches();
  }

  protected createCache(
    id: number,
    name: string,
    size: number,
    align: number,
    flags: number,
    ctor: ((obj: VirtAddr) => void) | undefined,
  ): SlabCache {
    return new SlabCache(this, id, name, size, align, flags, ctor);
  }

  /**
   * `kmalloc_slab(bytes, 0)`: the normal kmalloc cache a request of
   * `bytes` would use, if it exists yet (kmalloc caches are created
   * smallest first).
   */
  kmallocCacheFor(bytes: number): SlabCache | undefined {
    for (let i = 0; i < this.kmallocClasses.length; i++) {
      const cls = this.kmallocClasses[i];
      if (cls === undefined || bytes > cls.size) continue;
      const cache = this.kmallocCaches.normal[i];
      return cache instanceof SlabCache ? cache : undefined;
    }
    return undefined;
  }
}

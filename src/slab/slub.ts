/**
 * SLUB (mm/slub.c), the slab allocator Linux uses.
 *
 * A slab is one compound block of `2 ** order` pages holding objects of
 * one size. Its struct page is the struct slab: PG_slab, the cache id in
 * `mapping`, the first free object in `index` (its offset in the slab + 1;
 * 0 for none), and `inuse | objects << 16 | frozen << 31` in `private`.
 * A free object holds the address of the next free object (the free
 * pointer) inside itself, in simulated RAM, as Linux does: in the middle of
 * the object, or just after it when a constructor or poisoning needs the
 * whole object.
 *
 * Fast paths: each CPU owns one slab (frozen) and a lockless freelist of
 * its objects. Allocation pops that freelist; freeing an object of the
 * CPU's own slab pushes it back. Slow paths: refill from the slab's own
 * freelist (objects other CPUs freed), then from the node's partial list,
 * then a new slab from the page allocator (order chosen by
 * `calculate_order`, falling back to the minimum order). Freeing into
 * another slab (`__slab_free`) puts a full slab on the partial list and
 * gives an empty one back to the page allocator once the node keeps
 * `min_partial` partial slabs. Per-CPU partial lists (CONFIG_SLUB_CPU_PARTIAL)
 * and the 6.18 sheaves are not modelled.
 */

import type { BuddyAllocator } from '../buddy/buddy-allocator.js';
import { listAddTail, listDel } from '../buddy/page-list.js';
import {
  __GFP_COMP,
  __GFP_DIRECT_RECLAIM,
  __GFP_DMA,
  __GFP_NOFAIL,
  __GFP_NOMEMALLOC,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RECLAIM,
  __GFP_RECLAIMABLE,
  __GFP_ZERO,
  type Gfp,
} from '../gfp/flags.js';
import { checkGfp } from '../gfp/zone.js';
import type { VirtAddr } from '../page/address.js';
import { showAddress } from '../page/address.js';
import { KernelBug } from '../page/errors.js';
import { PG } from '../page/page-flags.js';
import { checkCount, checkPageSize, describeValue, isCount } from '../page/validate.js';
import type { SlabInfo } from './kmem-cache.js';
import {
  checkCacheShape,
  type ObjectChecks,
  SlabAllocatorBase,
  type SlabAllocatorOptions,
  SlabCacheBase,
} from './slab-common.js';
import {
  checkObject,
  type DebugLayout,
  hasObjectDebug,
  initObject,
  setTrack,
  trackSize,
} from './slab-debug.js';
import {
  SLAB_CACHE_DMA,
  SLAB_POISON,
  SLAB_RECLAIM_ACCOUNT,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
} from './slab-flags.js';

/** `PAGE_ALLOC_COSTLY_ORDER`: SLUB's default `slub_max_order`. */
const SLUB_MAX_ORDER = 3;
/** `MAX_OBJS_PER_PAGE`: objects counts fit in 15 bits. */
const MAX_OBJS_PER_PAGE = 32767;
const MIN_PARTIAL = 5;
const MAX_PARTIAL = 10;
/** `GFP_RECLAIM_MASK` (mm/internal.h): the caller's bits that reach the page allocator. */
const GFP_RECLAIM_MASK =
  0x400 | 0x800 | 0x20 | 0x40 | 0x80 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x80000;
const FROZEN = 0x80000000;
const TWO_32 = 2 ** 32;

function getOrder(bytes: number, pageSize: number): number {
  return Math.max(0, Math.ceil(Math.log2(bytes / pageSize)));
}

function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

/** `calc_slab_order`. */
function calcSlabOrder(
  size: number,
  pageSize: number,
  minOrder: number,
  maxOrder: number,
  fraction: number,
): number {
  let order = minOrder;
  for (; order <= maxOrder; order++) {
    const slabSize = pageSize * 2 ** order;
    if (slabSize % size <= slabSize / fraction) break;
  }
  return order;
}

/** `calculate_order`: the smallest order wasting at most 1/16 (then 1/8, 1/4, 1/2) of the slab. */
export function calculateOrder(size: number, pageSize: number, cpus: number): number {
  if (!isCount(size) || size === 0) {
    throw new KernelBug(`calculateOrder: size ${describeValue(size)} is not a positive integer`);
  }
  checkPageSize('calculateOrder', pageSize);
  checkCount('calculateOrder', 'cpus', cpus);
  let minObjects = 4 * (fls(cpus) + 1);
  const maxObjects = Math.max(Math.floor((pageSize * 2 ** SLUB_MAX_ORDER) / size), 1);
  minObjects = Math.min(minObjects, maxObjects);
  const minOrder = getOrder(minObjects * size, pageSize);
  if (Math.floor((pageSize * 2 ** minOrder) / size) > MAX_OBJS_PER_PAGE) {
    return getOrder(size * MAX_OBJS_PER_PAGE, pageSize) - 1;
  }
  for (let fraction = 16; fraction > 1; fraction /= 2) {
    const order = calcSlabOrder(size, pageSize, minOrder, SLUB_MAX_ORDER, fraction);
    if (order <= SLUB_MAX_ORDER) return order;
  }
  return getOrder(size, pageSize);
}

/** A SLUB cache. */
export class SlubCache extends SlabCacheBase implements ObjectChecks {
  /** Offset of the free pointer from the object start. */
  readonly offset: number;
  /** End of the object and its right red zone (`inuse`). */
  readonly inuse: number;
  /** Bytes of left red zone before each object. */
  readonly redLeftPad: number;
  /** Slab order (`oo`) and objects per slab. */
  readonly order: number;
  readonly objects: number;
  /** The fallback order when `order` cannot be had (`min`). */
  readonly minOrder: number;
  /** Partial slabs the node keeps even when empty. */
  readonly minPartial: number;
  /** Per-CPU lockless freelist: physical address of the first free object, -1 for none. */
  readonly cpuFreelist: Float64Array;
  /** Per-CPU slab (head pfn), -1 for none. */
  readonly cpuSlab: Int32Array;
  /** The node's partial list (one head slot). */
  readonly partial = new Int32Array([-1]);
  nrPartial = 0;
  nrSlabs = 0;
  totalObjects = 0;
  private readonly slub: SlubAllocator;
  private readonly allocGfp: number;
  private readonly debugLayout: DebugLayout | null;
  private readonly pageOffset: number;
  private readonly pageSize: number;
  private readonly ptr64: boolean;

  constructor(
    slub: SlubAllocator,
    id: number,
    name: string,
    objectSize: number,
    align: number,
    flags: number,
    ctor: ((obj: VirtAddr) => void) | undefined,
  ) {
    const ptr = slub.pointerSize;
    const layout = SlubCache.layout(objectSize, align, flags, ctor !== undefined, ptr);
    super(slub, id, name, objectSize, layout.size, align, flags, ctor);
    this.slub = slub;
    this.offset = layout.offset;
    this.inuse = layout.inuse;
    this.redLeftPad = layout.redLeftPad;
    this.pageSize = slub.arch.pageSize;
    this.pageOffset = slub.arch.pageOffset;
    this.ptr64 = ptr === 8;
    this.order = calculateOrder(layout.size, this.pageSize, slub.buddy.cpus);
    this.objects = Math.floor((this.pageSize * 2 ** this.order) / layout.size);
    this.minOrder = getOrder(layout.size, this.pageSize);
    this.minPartial = Math.min(
      MAX_PARTIAL,
      Math.max(MIN_PARTIAL, Math.floor(Math.log2(layout.size) / 2)),
    );
    this.cpuFreelist = new Float64Array(slub.buddy.cpus).fill(-1);
    this.cpuSlab = new Int32Array(slub.buddy.cpus).fill(-1);
    this.allocGfp =
      ((flags & SLAB_CACHE_DMA) !== 0 ? __GFP_DMA : 0) |
      ((flags & SLAB_RECLAIM_ACCOUNT) !== 0 ? __GFP_RECLAIMABLE : 0);
    this.debugLayout = hasObjectDebug(flags)
      ? {
          name,
          flags,
          objectSize,
          inuse: layout.inuse,
          redLeftPad: layout.redLeftPad,
          trackOffset: layout.trackOffset,
          poison: (flags & SLAB_POISON) !== 0 && ctor === undefined,
        }
      : null;
  }

  /** `calculate_sizes`: where the free pointer, red zones and tracks go, and the slot size. */
  static layout(
    objectSize: number,
    align: number,
    flags: number,
    hasCtor: boolean,
    ptr: number,
  ): { size: number; offset: number; inuse: number; redLeftPad: number; trackOffset: number } {
    checkCacheShape('SlubCache.layout', objectSize, align, flags, hasCtor);
    if (ptr !== 4 && ptr !== 8) {
      throw new KernelBug(`SlubCache.layout: pointer size ${describeValue(ptr)} is not 4 or 8`);
    }
    let size = Math.ceil(objectSize / ptr) * ptr;
    if ((flags & SLAB_RED_ZONE) !== 0 && size === objectSize) size += ptr;
    const inuse = size;
    let offset: number;
    if (
      hasCtor ||
      (flags & SLAB_POISON) !== 0 ||
      ((flags & SLAB_RED_ZONE) !== 0 && objectSize < ptr)
    ) {
      offset = size;
      size += ptr;
    } else {
      offset = Math.floor(objectSize / 2 / ptr) * ptr;
    }
    const trackOffset = size;
    if ((flags & SLAB_STORE_USER) !== 0) size += 2 * trackSize(ptr);
    let redLeftPad = 0;
    if ((flags & SLAB_RED_ZONE) !== 0) {
      size += ptr;
      redLeftPad = Math.ceil(ptr / align) * align;
      size += redLeftPad;
    }
    size = Math.ceil(size / align) * align;
    return { size, offset, inuse, redLeftPad, trackOffset };
  }

  // --- free pointers in simulated RAM -------------------------------------

  /** `get_freepointer`: the next free object after the one at `pa`, -1 for none. */
  private getFreePointer(pa: number): number {
    const at = pa + this.offset;
    const chunk = Math.floor(at / TWO_32);
    const word = (at - chunk * TWO_32) / 4;
    let va: number;
    if (this.ptr64) {
      const mem = this.slub.memory;
      va =
        ((mem.i32[chunk] as Int32Array)[word + 1] as number) * TWO_32 +
        ((mem.u32[chunk] as Uint32Array)[word] as number);
    } else {
      va = (this.slub.memory.u32[chunk] as Uint32Array)[word] as number;
    }
    return va === 0 ? -1 : va - this.pageOffset;
  }

  /** `set_freepointer`: stores the address of `next` (-1: NULL) in the free object at `pa`. */
  private setFreePointer(pa: number, next: number): void {
    const at = pa + this.offset;
    const chunk = Math.floor(at / TWO_32);
    const word = (at - chunk * TWO_32) / 4;
    const va = next < 0 ? 0 : next + this.pageOffset;
    const mem = this.slub.memory;
    if (this.ptr64) {
      const hi = Math.floor(va / TWO_32);
      (mem.u32[chunk] as Uint32Array)[word] = va - hi * TWO_32;
      (mem.i32[chunk] as Int32Array)[word + 1] = hi;
    } else {
      (mem.u32[chunk] as Uint32Array)[word] = va;
    }
  }

  // --- struct slab fields ------------------------------------------------

  private slabBase(head: number): number {
    return head * this.pageSize;
  }

  private slabFreelist(head: number): number {
    const v = this.slub.memMap.index[head] as number;
    return v === 0 ? -1 : this.slabBase(head) + v - 1;
  }

  private setSlabFreelist(head: number, pa: number): void {
    this.slub.memMap.index[head] = pa < 0 ? 0 : pa - this.slabBase(head) + 1;
  }

  private counters(head: number): number {
    return (this.slub.memMap.private[head] as number) >>> 0;
  }

  private inuseOf(head: number): number {
    return this.counters(head) & 0xffff;
  }

  private objectsOf(head: number): number {
    return (this.counters(head) >>> 16) & 0x7fff;
  }

  private setCounters(head: number, inuse: number, objects: number, frozen: boolean): void {
    this.slub.memMap.private[head] = inuse | (objects << 16) | (frozen ? FROZEN : 0) | 0;
  }

  private isFrozen(head: number): boolean {
    return (this.counters(head) & FROZEN) !== 0;
  }

  // --- allocation ---------------------------------------------------------

  /** `kmem_cache_alloc`. */
  alloc(gfp: Gfp): VirtAddr | null {
    // checkGfp allocates nothing on success: a type test and three masks.
    checkGfp('kmemCacheAlloc', gfp);
    if (!this.alive) this.checkAlive('kmemCacheAlloc');
    if (this.slub.failslab !== null && this.slub.shouldFailslab(gfp)) return null;
    const cpu = this.slub.buddy.cpu;
    let obj = this.cpuFreelist[cpu] as number;
    if (obj >= 0) {
      this.cpuFreelist[cpu] = this.getFreePointer(obj);
    } else {
      obj = this.allocSlow(gfp, cpu);
      if (obj < 0) return null;
    }
    this.slub.shadowSet(obj);
    this.liveObjects++;
    if (this.debugLayout !== null) this.allocDebug(obj, cpu);
    if ((gfp & __GFP_ZERO) !== 0) this.slub.zeroBytes(obj, this.objectSize);
    return (obj + this.pageOffset) as VirtAddr;
  }

  private allocDebug(obj: number, cpu: number): void {
    const layout = this.debugLayout as DebugLayout;
    checkObject(this.slub.debugSink, layout, obj, false);
    initObject(this.slub.debugSink, layout, obj, true);
    setTrack(this.slub.debugSink, layout, obj, false, cpu, this.liveObjects, this.slub.pointerSize);
  }

  /** `___slab_alloc`: the CPU's freelist is empty. */
  private allocSlow(gfp: Gfp, cpu: number): number {
    let slab = this.cpuSlab[cpu] as number;
    if (slab >= 0) {
      // Objects other CPUs freed into our slab.
      const obj = this.takeSlabFreelist(slab);
      if (obj >= 0) {
        this.cpuFreelist[cpu] = this.getFreePointer(obj);
        return obj;
      }
      // The slab is full: unfreeze it; full slabs are on no list.
      this.setCounters(slab, this.inuseOf(slab), this.objectsOf(slab), false);
      this.cpuSlab[cpu] = -1;
    }
    slab = this.partial[0] as number;
    if (slab >= 0) {
      listDel(this.slub.memMap.next, this.slub.memMap.prev, this.partial, 0, slab);
      this.nrPartial--;
    } else {
      slab = this.newSlab(gfp);
      if (slab < 0) return -1;
    }
    const obj = this.takeSlabFreelist(slab);
    this.cpuSlab[cpu] = slab;
    this.cpuFreelist[cpu] = this.getFreePointer(obj);
    return obj;
  }

  /** `get_freelist` + freeze: the CPU takes every free object of the slab. */
  private takeSlabFreelist(slab: number): number {
    const obj = this.slabFreelist(slab);
    this.setSlabFreelist(slab, -1);
    this.setCounters(slab, this.objectsOf(slab), this.objectsOf(slab), true);
    return obj;
  }

  /** `allocate_slab`: a new slab from the page allocator, its objects on its freelist. */
  private newSlab(gfp: Gfp): number {
    const buddy = this.slub.buddy;
    const flags = this.slub.fixGfp((gfp & GFP_RECLAIM_MASK) | this.allocGfp);
    let order = this.order;
    // The preferred order may fail quietly; above the minimum it does not even reclaim.
    let first = (flags | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL;
    if ((first & __GFP_DIRECT_RECLAIM) !== 0 && order > this.minOrder) {
      first = (first | __GFP_NOMEMALLOC) & ~__GFP_RECLAIM;
    }
    let head = buddy.allocPages(first | (order > 0 ? __GFP_COMP : 0), order);
    if (head === null) {
      // The fallback at the minimum order carries the caller's own flags (and may reach the OOM killer).
      order = this.minOrder;
      head = buddy.allocPages(flags | (order > 0 ? __GFP_COMP : 0), order);
    }
    if (head === null) return -1;
    const objects = Math.floor((this.pageSize * 2 ** order) / this.size);
    const m = this.slub.memMap;
    m.setFlag(head, PG.slab);
    m.mapping[head] = this.id;
    this.setCounters(head, 0, objects, false);
    const base = head * this.pageSize + this.redLeftPad;
    for (let i = 0; i < objects; i++) {
      const obj = base + i * this.size;
      if (this.debugLayout !== null) initObject(this.slub.debugSink, this.debugLayout, obj, false);
      this.setFreePointer(obj, i + 1 < objects ? obj + this.size : -1);
    }
    this.setSlabFreelist(head, base);
    if (this.ctor !== undefined) {
      for (let i = 0; i < objects; i++)
        this.ctor((base + i * this.size + this.pageOffset) as VirtAddr);
    }
    this.nrSlabs++;
    this.totalObjects += objects;
    this.slub.accountSlab(this, 2 ** order);
    return head;
  }

  // --- freeing ----------------------------------------------------------------

  /** Throws `KernelBug`, with the kernel's report, unless `va` is a live object of this cache. */
  checkObject(fn: string, va: number): void {
    this.checkObjectIn(fn, va, this.slub.headOfObject(fn, va));
  }

  /** `checkObject` when the slab's head frame is known. */
  private checkObjectIn(fn: string, va: number, head: number): void {
    const slub = this.slub;
    const pa = va - this.pageOffset;
    this.checkOwner(fn, va, slub.slabCacheOf(head));
    const offset = pa - head * this.pageSize - this.redLeftPad;
    if (offset < 0 || offset % this.size !== 0 || offset / this.size >= this.objectsOf(head))
      this.invalidPointer(fn, va);
    if (!slub.shadowTest(pa)) this.alreadyFree(fn, va);
  }

  /** `kmem_cache_free`. */
  free(obj: number): void {
    if (!this.alive) this.checkAlive('kmemCacheFree');
    const head = this.slub.headOfObject('kmemCacheFree', obj);
    this.checkObjectIn('kmemCacheFree', obj, head);
    this.freeAt(head, obj - this.pageOffset);
  }

  /** `kfree` of an object of this cache, whose slab `kfree` has found already. */
  override kfreeIn(head: number, va: number): void {
    this.checkObjectIn('kfree', va, head);
    this.freeAt(head, va - this.pageOffset);
  }

  /** `do_slab_free`: the object at `pa` of the slab `head` is checked and goes back. */
  private freeAt(head: number, pa: number): void {
    const slub = this.slub;
    slub.shadowClear(pa);
    this.liveObjects--;
    const cpu = slub.buddy.cpu;
    if (this.debugLayout !== null) {
      checkObject(slub.debugSink, this.debugLayout, pa, true);
      setTrack(slub.debugSink, this.debugLayout, pa, true, cpu, this.liveObjects, slub.pointerSize);
      initObject(slub.debugSink, this.debugLayout, pa, false);
    }
    if (this.cpuSlab[cpu] === head) {
      this.setFreePointer(pa, this.cpuFreelist[cpu] as number);
      this.cpuFreelist[cpu] = pa;
      return;
    }
    this.slabFree(head, pa);
  }

  /** `__slab_free`: into a slab that is not this CPU's. */
  private slabFree(head: number, pa: number): void {
    const wasFull = this.slabFreelist(head) < 0;
    this.setFreePointer(pa, this.slabFreelist(head));
    this.setSlabFreelist(head, pa);
    const inuse = this.inuseOf(head) - 1;
    const frozen = this.isFrozen(head);
    this.setCounters(head, inuse, this.objectsOf(head), frozen);
    if (frozen) return; // another CPU's slab: it finds the object on its next refill
    if (inuse === 0 && this.nrPartial >= this.minPartial) {
      if (!wasFull) this.removePartial(head);
      this.discardSlab(head);
      return;
    }
    if (wasFull) this.addPartial(head);
  }

  private addPartial(head: number): void {
    listAddTail(this.slub.memMap.next, this.slub.memMap.prev, this.partial, 0, head);
    this.nrPartial++;
  }

  private removePartial(head: number): void {
    listDel(this.slub.memMap.next, this.slub.memMap.prev, this.partial, 0, head);
    this.nrPartial--;
  }

  /** `discard_slab`: the slab's pages go back to the page allocator. */
  private discardSlab(head: number): number {
    const m = this.slub.memMap;
    const order = this.slub.buddy.allocatedOrder(head);
    this.nrSlabs--;
    this.totalObjects -= this.objectsOf(head);
    m.clearFlag(head, PG.slab);
    m.mapping[head] = 0;
    m.index[head] = 0;
    m.private[head] = 0;
    this.slub.accountSlab(this, -(2 ** order));
    this.slub.buddy.freePages(head, order);
    return 2 ** order;
  }

  /** `deactivate_slab`: the CPU gives its slab and freelist back. */
  private flushCpu(cpu: number): void {
    const head = this.cpuSlab[cpu] as number;
    if (head < 0) return;
    let obj = this.cpuFreelist[cpu] as number;
    let inuse = this.inuseOf(head);
    while (obj >= 0) {
      const next = this.getFreePointer(obj);
      this.setFreePointer(obj, this.slabFreelist(head));
      this.setSlabFreelist(head, obj);
      inuse--;
      obj = next;
    }
    this.cpuFreelist[cpu] = -1;
    this.cpuSlab[cpu] = -1;
    this.setCounters(head, inuse, this.objectsOf(head), false);
    if (inuse === 0 && this.nrPartial >= this.minPartial) this.discardSlab(head);
    else if (this.slabFreelist(head) >= 0) this.addPartial(head);
  }

  /** `__kmem_cache_shrink`: flush the CPU slabs and discard every empty slab. */
  shrink(): number {
    this.checkAlive('kmemCacheShrink');
    for (let cpu = 0; cpu < this.cpuSlab.length; cpu++) this.flushCpu(cpu);
    let released = 0;
    let slab = this.partial[0] as number;
    for (let n = this.nrPartial; n > 0; n--) {
      const next = this.slub.memMap.next[slab] as number;
      if (this.inuseOf(slab) === 0) {
        this.removePartial(slab);
        released += this.discardSlab(slab);
      }
      slab = next;
    }
    return released;
  }

  protected release(): void {
    this.shrink();
  }

  /** `slab_ksize`: with red zones or poison only the object; with tracking up to `inuse`; else the whole slot. */
  ksize(): number {
    if ((this.flags & (SLAB_RED_ZONE | SLAB_POISON)) !== 0) return this.objectSize;
    if ((this.flags & SLAB_STORE_USER) !== 0) return this.inuse;
    return this.size;
  }

  /** `get_slabinfo`: objects on the CPUs' freelists count as active, as in Linux. */
  slabinfo(): SlabInfo {
    let free = 0;
    let slab = this.partial[0] as number;
    for (let n = this.nrPartial; n > 0; n--) {
      free += this.objectsOf(slab) - this.inuseOf(slab);
      slab = this.slub.memMap.next[slab] as number;
    }
    return {
      activeObjs: this.totalObjects - free,
      numObjs: this.totalObjects,
      objsPerSlab: this.objects,
      cacheOrder: this.order,
      limit: 0,
      batchcount: 0,
      shared: 0,
      activeSlabs: this.nrSlabs,
      numSlabs: this.nrSlabs,
      sharedAvail: 0,
    };
  }

  /** Walks every slab of the cache (a scan of mem_map) and checks its freelist and counts. */
  checkInvariants(): void {
    const m = this.slub.memMap;
    const bug = (msg: string): never => {
      throw new KernelBug(`checkInvariants: cache ${this.name}: ${msg}`);
    };
    const onCpu = new Map<number, number>();
    for (let cpu = 0; cpu < this.cpuSlab.length; cpu++) {
      const head = this.cpuSlab[cpu] as number;
      if (head < 0) {
        if (this.cpuFreelist[cpu] !== -1) bug(`cpu ${cpu} has a freelist but no slab`);
        continue;
      }
      if (!this.isFrozen(head)) bug(`cpu ${cpu}'s slab ${head} is not frozen`);
      onCpu.set(
        head,
        this.walkFreelist(head, this.cpuFreelist[cpu] as number, `cpu ${cpu} freelist`),
      );
    }
    const partial = new Set<number>();
    let slab = this.partial[0] as number;
    for (let n = 0; n < this.nrPartial; n++) {
      if (slab < 0) bug(`partial list is shorter than nr_partial ${this.nrPartial}`);
      partial.add(slab);
      slab = m.next[slab] as number;
    }
    if (this.nrPartial > 0 && slab !== this.partial[0])
      bug('partial list does not close on its head');
    let slabs = 0;
    let objects = 0;
    let live = 0;
    for (let pfn = 0; pfn < m.frames; pfn++) {
      if (!m.testFlag(pfn, PG.slab) || m.mapping[pfn] !== this.id) continue;
      slabs++;
      const total = this.objectsOf(pfn);
      objects += total;
      const free =
        this.walkFreelist(pfn, this.slabFreelist(pfn), `slab ${pfn} freelist`) +
        (onCpu.get(pfn) ?? 0);
      const inuseOnSlab = this.inuseOf(pfn);
      const liveHere = total - free;
      if (!this.isFrozen(pfn) && inuseOnSlab !== liveHere)
        bug(`slab ${pfn} says inuse ${inuseOnSlab}, holds ${liveHere} live objects`);
      if (!this.isFrozen(pfn) && free > 0 && !partial.has(pfn))
        bug(`slab ${pfn} has free objects but is not on the partial list`);
      if (partial.has(pfn) && (this.isFrozen(pfn) || free === 0))
        bug(`slab ${pfn} on the partial list is frozen or full`);
      let marked = 0;
      const base = pfn * this.pageSize + this.redLeftPad;
      for (let i = 0; i < total; i++) if (this.slub.shadowTest(base + i * this.size)) marked++;
      if (marked !== liveHere)
        bug(`slab ${pfn} has ${marked} objects marked live, ${liveHere} allocated`);
      live += liveHere;
    }
    if (slabs !== this.nrSlabs) bug(`${slabs} slabs in mem_map, nr_slabs says ${this.nrSlabs}`);
    if (objects !== this.totalObjects)
      bug(`${objects} objects in slabs, total_objects says ${this.totalObjects}`);
    if (live !== this.liveObjects)
      bug(`${live} live objects in slabs, the cache counted ${this.liveObjects}`);
  }

  /** Counts a freelist, checking each entry is a free object slot of the slab. */
  private walkFreelist(head: number, first: number, what: string): number {
    const base = head * this.pageSize + this.redLeftPad;
    const total = this.objectsOf(head);
    let n = 0;
    for (let obj = first; obj >= 0; obj = this.getFreePointer(obj)) {
      const offset = obj - base;
      if (offset < 0 || offset % this.size !== 0 || offset / this.size >= total) {
        throw new KernelBug(
          `checkInvariants: cache ${this.name}: ${what} points to ${showAddress(obj)}, outside slab ${head}'s objects`,
        );
      }
      if (this.slub.shadowTest(obj))
        throw new KernelBug(
          `checkInvariants: cache ${this.name}: ${what} holds live object ${showAddress(obj)}`,
        );
      if (++n > total) throw new KernelBug(`checkInvariants: cache ${this.name}: ${what} loops`);
    }
    return n;
  }
}

/** The SLUB allocator over a page allocator. */
export class SlubAllocator extends SlabAllocatorBase {
  readonly kind = 'slub' as const;

  /**
   * @example
   * ```ts
   * const slub = new SlubAllocator(new BuddyAllocator(new PhysicalMemory(64 * 2 ** 20)));
   * const cache = slub.kmemCacheCreate('task_struct', 1024, { flags: SLAB_HWCACHE_ALIGN });
   * const obj = cache.alloc(GFP_KERNEL);
   * const buf = slub.kmalloc(100, GFP_KERNEL); // from kmalloc-128
   * ```
   */
  constructor(buddy: BuddyAllocator, options: SlabAllocatorOptions = {}) {
    super(buddy, options);
    this.createKmallocCaches();
  }

  protected createCache(
    id: number,
    name: string,
    size: number,
    align: number,
    flags: number,
    ctor: ((obj: VirtAddr) => void) | undefined,
  ): SlubCache {
    return new SlubCache(this, id, name, size, align, flags, ctor);
  }
}

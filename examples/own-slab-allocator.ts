/**
 * Bring your own slab allocator. `ToySlab` is a small slab allocator that
 * implements mmsim's `SlabLayer` interface: caches of fixed-size objects
 * carved from pages of the page allocator, power-of-two kmalloc caches,
 * and large kmallocs straight from the page allocator. A whole machine
 * boots on it (`Kernel.boot({ slab: factory })`), and the testing kit's
 * conformance suite, the one SLUB, SLAB and SLOB pass, runs on it.
 *
 * A planted bug (objects per slab rounded up instead of down, so the last
 * object of a slab spills into the next page) is caught by the suite, which
 * prints the shrunk counterexample with the seed and path that replay it.
 *
 * Run it with `npx tsx examples/own-slab-allocator.ts`.
 */
import {
  __GFP_DMA32,
  __GFP_HIGHMEM,
  __GFP_MOVABLE,
  __GFP_ZERO,
  type BuddyAllocator,
  calculateAlignment,
  checkGfp,
  type Gfp,
  Kernel,
  KernelBug,
  type KmemCache,
  type KmemCacheOptions,
  MAX_ORDER,
  SLAB_FLAGS_PERMITTED,
  type SlabInfo,
  type SlabLayer,
  type VirtAddr,
  ZERO_SIZE_PTR,
} from 'mmsim';
import { ConformanceFailure, checkSlabAllocatorConformance } from 'mmsim/testing';

/** How many objects of `slot` bytes a slab of `bytes` holds. */
type PerSlab = (bytes: number, slot: number) => number;

interface Slab {
  readonly pfn: number;
  readonly base: number;
  readonly free: number[];
  readonly live: Set<number>;
}

/** Slab pages must be in the direct map: no HighMem, no movable pages. */
const slabGfp = (gfp: Gfp) => gfp & ~(__GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE | __GFP_ZERO);

class ToyCache implements KmemCache {
  readonly size: number;
  readonly order: number;
  readonly perSlab: number;
  readonly slabs = new Map<number, Slab>(); // by first frame
  private readonly partial: Slab[] = []; // slabs with free objects
  alive = true;

  constructor(
    private readonly toy: ToySlab,
    readonly name: string,
    readonly objectSize: number,
    readonly align: number,
    readonly flags: number,
    private readonly ctor?: (obj: VirtAddr) => void,
  ) {
    const pageSize = toy.buddy.arch.pageSize;
    this.size = Math.ceil(objectSize / align) * align;
    this.order = Math.max(0, Math.ceil(Math.log2(this.size / pageSize)));
    this.perSlab = toy.perSlab(pageSize << this.order, this.size);
  }

  alloc(gfp: Gfp): VirtAddr | null {
    checkGfp('kmem_cache_alloc', gfp);
    if (!this.alive) throw new KernelBug(`kmem_cache_alloc: ${this.name} was destroyed`);
    let slab = this.partial.at(-1);
    if (slab === undefined) {
      const pfn = this.toy.buddy.allocPages(slabGfp(gfp), this.order);
      if (pfn === null) return null; // out of memory is a result, not an exception
      const base = this.toy.address(pfn);
      slab = { pfn, base, free: [], live: new Set() };
      for (let i = this.perSlab - 1; i >= 0; i--) {
        this.ctor?.((base + i * this.size) as VirtAddr); // constructed once, when the slab is made
        slab.free.push(base + i * this.size);
      }
      this.slabs.set(pfn, slab);
      this.partial.push(slab);
      for (let i = 0; i < 2 ** this.order; i++) this.toy.owners.set(pfn + i, { cache: this, slab });
    }
    const obj = slab.free.pop() as number;
    if (slab.free.length === 0) this.partial.pop();
    slab.live.add(obj);
    if ((gfp & __GFP_ZERO) !== 0) this.toy.zero(obj, this.objectSize);
    return obj as VirtAddr;
  }

  free(obj: number): void {
    const { cache, slab } = this.toy.lookup('kmem_cache_free', obj);
    if (cache !== this) throw new KernelBug(`kmem_cache_free: ${obj} is from ${cache.name}`);
    this.release('kmem_cache_free', slab, obj);
  }

  /** Checks that `obj` is a live object of `slab` and frees it. */
  release(fn: string, slab: Slab, obj: number): void {
    if ((obj - slab.base) % this.size !== 0)
      throw new KernelBug(`${fn}: ${obj} is inside an object`);
    if (!slab.live.delete(obj)) throw new KernelBug(`${fn}: double free of ${obj}`);
    if (slab.free.push(obj) === 1) this.partial.push(slab);
  }

  shrink(): number {
    let pages = 0;
    for (const slab of [...this.slabs.values()]) {
      if (slab.live.size > 0) continue;
      this.slabs.delete(slab.pfn);
      this.partial.splice(this.partial.indexOf(slab), 1);
      for (let i = 0; i < 2 ** this.order; i++) this.toy.owners.delete(slab.pfn + i);
      this.toy.buddy.freePages(slab.pfn, this.order);
      pages += 2 ** this.order;
    }
    return pages;
  }

  destroy(): void {
    if (!this.alive) throw new KernelBug(`kmem_cache_destroy: ${this.name} was destroyed`);
    const live = this.slabinfo().activeObjs;
    if (live > 0) throw new KernelBug(`kmem_cache_destroy: ${this.name} has ${live} objects`);
    this.shrink();
    this.alive = false;
    this.toy.caches.splice(this.toy.caches.indexOf(this), 1);
  }

  slabinfo(): SlabInfo {
    const slabs = [...this.slabs.values()];
    return {
      activeObjs: slabs.reduce((n, s) => n + s.live.size, 0),
      numObjs: slabs.length * this.perSlab,
      objsPerSlab: this.perSlab,
      cacheOrder: this.order,
      limit: 0,
      batchcount: 0,
      shared: 0,
      activeSlabs: slabs.filter((s) => s.live.size > 0).length,
      numSlabs: slabs.length,
      sharedAvail: 0,
    };
  }
}

class ToySlab implements SlabLayer {
  readonly kind = 'toy';
  readonly caches: ToyCache[] = [];
  /** The cache and slab of every slab frame. */
  readonly owners = new Map<number, { cache: ToyCache; slab: Slab }>();
  private readonly large = new Map<number, number>(); // large kmalloc: address -> order
  private readonly kmallocCaches: ToyCache[] = [];

  constructor(
    readonly buddy: BuddyAllocator,
    readonly perSlab: PerSlab,
  ) {
    // Power-of-two kmalloc caches up to two pages, naturally aligned.
    for (let size = 8; size <= 2 * buddy.arch.pageSize; size *= 2) {
      const cache = new ToyCache(this, `kmalloc-${size}`, size, size, 0);
      this.kmallocCaches.push(cache);
      this.caches.push(cache);
    }
  }

  kmemCacheCreate(name: string, size: number, options: KmemCacheOptions = {}): KmemCache {
    const bad = (what: string) => new KernelBug(`kmem_cache_create: ${String(name)}: bad ${what}`);
    if (typeof name !== 'string' || name === '') throw bad('name');
    if (typeof options !== 'object' || options === null) throw bad('options');
    const { align = 0, flags = 0, ctor } = options;
    const pageSize = this.buddy.arch.pageSize;
    if (!Number.isInteger(size) || size < 1 || size > pageSize * 2 ** MAX_ORDER) throw bad('size');
    if (!Number.isInteger(align) || align < 0 || align > pageSize || (align & (align - 1)) !== 0)
      throw bad('align');
    if (!Number.isInteger(flags) || flags < 0 || (flags & ~SLAB_FLAGS_PERMITTED) !== 0)
      throw bad('flags');
    if (ctor !== undefined && typeof ctor !== 'function') throw bad('ctor');
    const alignment = calculateAlignment(flags, align, size);
    const cache = new ToyCache(this, name, size, alignment, flags, ctor);
    this.caches.push(cache);
    return cache;
  }

  hasCache(cache: unknown): boolean {
    return cache instanceof ToyCache && cache.alive && this.caches.includes(cache);
  }

  kmalloc(size: number, gfp: Gfp): VirtAddr | null {
    if (!Number.isSafeInteger(size) || size < 0) throw new KernelBug(`kmalloc: bad size ${size}`);
    checkGfp('kmalloc', gfp);
    if (size === 0) return ZERO_SIZE_PTR as VirtAddr;
    const cache = this.kmallocCaches.find((c) => c.objectSize >= size);
    if (cache !== undefined) return cache.alloc(gfp);
    const order = Math.ceil(Math.log2(size / this.buddy.arch.pageSize));
    if (order > MAX_ORDER) return null;
    const pfn = this.buddy.allocPages(slabGfp(gfp) | (gfp & __GFP_ZERO), order);
    if (pfn === null) return null;
    this.large.set(this.address(pfn), order);
    return this.address(pfn);
  }

  kfree(ptr: number | null): void {
    if (ptr === null || ptr === 0 || ptr === ZERO_SIZE_PTR) return;
    const order = this.large.get(ptr);
    if (order !== undefined) {
      this.large.delete(ptr);
      this.buddy.freePages(this.pfnOf(ptr), order);
      return;
    }
    const { cache, slab } = this.lookup('kfree', ptr);
    cache.release('kfree', slab, ptr);
  }

  ksize(ptr: number): number {
    if (ptr === ZERO_SIZE_PTR) return 0;
    const order = this.large.get(ptr);
    if (order !== undefined) return this.buddy.arch.pageSize * 2 ** order;
    const { cache, slab } = this.lookup('ksize', ptr);
    if (!slab.live.has(ptr)) throw new KernelBug(`ksize: ${ptr} is not a live object`);
    return cache.objectSize;
  }

  checkInvariants(): void {
    for (const cache of this.caches) {
      for (const slab of cache.slabs.values()) {
        if (
          slab.free.length + slab.live.size !== cache.perSlab ||
          slab.free.some((o) => slab.live.has(o))
        )
          throw new KernelBug(`checkInvariants: a slab of ${cache.name} lost count of its objects`);
        if (this.owners.get(slab.pfn)?.slab !== slab)
          throw new KernelBug(`checkInvariants: a slab of ${cache.name} has no owner entry`);
      }
    }
  }

  /** The cache and slab of a slab object's address. */
  lookup(fn: string, ptr: number): { cache: ToyCache; slab: Slab } {
    const found = Number.isInteger(ptr) ? this.owners.get(this.pfnOf(ptr)) : undefined;
    if (found === undefined) throw new KernelBug(`${fn}: ${ptr} is not a slab object`);
    return found;
  }

  address(pfn: number): VirtAddr {
    return (this.buddy.arch.pageOffset + pfn * this.buddy.arch.pageSize) as VirtAddr;
  }

  pfnOf(va: number): number {
    return Math.floor((va - this.buddy.arch.pageOffset) / this.buddy.arch.pageSize);
  }

  zero(va: number, len: number): void {
    this.buddy.memory.write(va - this.buddy.arch.pageOffset, new Uint8Array(len));
  }
}

// The factory Kernel.boot calls with the machine's page allocator.
const toySlab = (perSlab: PerSlab) => (buddy: BuddyAllocator) => new ToySlab(buddy, perSlab);
const roundDown: PerSlab = (bytes, slot) => Math.floor(bytes / slot);
// The planted bug: one object too many in a slab whose size is not a multiple of the slot.
const roundUp: PerSlab = (bytes, slot) => Math.ceil(bytes / slot);

// A whole machine on ToySlab: processes, page tables and kmalloc all run on it.
const k = Kernel.boot({ memory: '16M', slab: toySlab(roundDown) });
const buf = k.kmalloc(100, 0xcc0);
console.log(`booted on ${k.slab.kind}: kmalloc(100) has ksize ${buf === null ? 0 : k.ksize(buf)}`);

const report = checkSlabAllocatorConformance(toySlab(roundDown), { numRuns: 10, seed: 42 });
console.log(`ToySlab passes: ${report.properties.map((p) => p.name).join(', ')}`);

try {
  checkSlabAllocatorConformance(toySlab(roundUp), { seed: 42 });
  console.log('the buggy ToySlab passed');
} catch (e) {
  if (!(e instanceof ConformanceFailure)) throw e;
  console.log(e.message);
}

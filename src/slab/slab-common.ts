/**
 * What every slab allocator shares (mm/slab_common.c): creating caches
 * (argument checks, alignment, debug flags from `slub_debug=`), the kmalloc
 * family over per-size caches, large kmalloc from the page allocator,
 * finding the cache an object belongs to, failslab fault injection, the
 * BUG reports, and /proc/slabinfo.
 *
 * An implementation (SLUB, SLAB, SLOB) extends `SlabAllocatorBase` with
 * `createCache`, and may replace the kmalloc family where its design
 * differs (SLOB has no kmalloc caches).
 *
 * Always-on checking. Every object start handed out is marked in an object
 * shadow, one bit per 8 bytes of RAM (like KASAN's shadow memory, in a
 * SharedArrayBuffer beside RAM): a free of an object that is not marked is
 * a double free or a pointer never returned, caught in O(1) without
 * `slub_debug`, before anything changes.
 */
import type { BuddyAllocator } from '../buddy/buddy-allocator.js';
import {
  __GFP_ACCOUNT,
  __GFP_COMP,
  __GFP_DIRECT_RECLAIM,
  __GFP_DMA,
  __GFP_DMA32,
  __GFP_HIGHMEM,
  __GFP_NOFAIL,
  __GFP_NOWARN,
  __GFP_RECLAIMABLE,
  type Gfp,
} from '../gfp/flags.js';
import { formatGfp } from '../gfp/format.js';
import { checkGfp } from '../gfp/zone.js';
import { formatAddress, showAddress, type VirtAddr } from '../page/address.js';
import type { Arch } from '../page/arch.js';
import { KernelBug } from '../page/errors.js';
import { FaultInjector, type FaultInjectorConfig } from '../page/fault-inject.js';
import { type KernelLog, LogLevel } from '../page/kernel-log.js';
import type { MemMap } from '../page/mem-map.js';
import { PAGE_TYPE_SHIFT, PageType, PG } from '../page/page-flags.js';
import type { PhysicalMemory } from '../page/physical-memory.js';
import { checkCount, checkInteger, describeValue, isCount } from '../page/validate.js';
import { kcallocOn, kreallocOn, kzallocOn } from './kmalloc-family.js';
import {
  type KmallocClass,
  kmallocClasses,
  kmallocIndexTable,
  ZERO_SIZE_PTR,
} from './kmalloc-sizes.js';
import type { KmemCache, KmemCacheOptions, SlabInfo } from './kmem-cache.js';
import type { DebugSink } from './slab-debug.js';
import {
  SLAB_ACCOUNT,
  SLAB_CACHE_DMA,
  SLAB_FLAGS_PERMITTED,
  SLAB_HWCACHE_ALIGN,
  SLAB_RECLAIM_ACCOUNT,
  SLUB_DEBUG_LETTERS,
} from './slab-flags.js';
import type { SlabKind } from './slab-kind.js';

/** `cache_line_size()`: 64 bytes on every profile. */
export const CACHE_LINE_SIZE = 64;
/** `ARCH_SLAB_MINALIGN` / `ARCH_KMALLOC_MINALIGN`: `__alignof__(unsigned long long)`. */
export const ARCH_SLAB_MINALIGN = 8;

/** `slub_debug=` as boot parses it: debug letters and the caches they apply to (all if empty). */
export interface SlabDebugConfig {
  readonly flags: string;
  readonly caches: readonly string[];
}

/** Options of a slab allocator. */
export interface SlabAllocatorOptions {
  /** Fault injection for slab allocations (`failslab`). */
  readonly failslab?: FaultInjectorConfig | null;
  /** Debugging, as the `slub_debug=` boot option. */
  readonly slubDebug?: SlabDebugConfig | null;
}

/** The kmalloc cache families (`enum kmalloc_cache_type`). */
export const KMALLOC_TYPES = ['normal', 'dma', 'rcl', 'cg'] as const;
/** A kmalloc cache family. */
export type KmallocType = (typeof KMALLOC_TYPES)[number];

/** What an implementation's caches share; the base of SLUB's, SLAB's and SLOB's caches. */
export abstract class SlabCacheBase implements KmemCache {
  /** Objects currently allocated. */
  liveObjects = 0;
  /** False once destroyed. */
  alive = true;

  constructor(
    /** The allocator the cache belongs to. */
    readonly allocator: SlabAllocatorBase,
    /** Cache id, recorded in `mapping` of its slab pages (1 and up). */
    readonly id: number,
    readonly name: string,
    readonly objectSize: number,
    readonly size: number,
    readonly align: number,
    readonly flags: number,
    readonly ctor: ((obj: VirtAddr) => void) | undefined,
  ) {}

  abstract alloc(gfp: Gfp): VirtAddr | null;
  abstract free(obj: number): void;
  abstract shrink(): number;
  abstract slabinfo(): SlabInfo;
  /** Checks this cache's invariants; throws `KernelBug` naming the first broken one. */
  abstract checkInvariants(): void;
  /** Bytes `ksize` reports for an object of this cache. */
  abstract ksize(): number;
  /**
   * `kfree` of a pointer whose slab page (head frame `head`) belongs to this
   * cache: checks it and frees it. Implementations may override it to skip
   * finding the page again.
   */
  kfreeIn(_head: number, va: number): void {
    this.free(va);
  }

  /** Frees every slab; called by `destroy` once no object is live. */
  protected abstract release(): void;

  /** `kmem_cache_destroy`. */
  destroy(): void {
    if (!this.alive)
      throw new KernelBug(`kmemCacheDestroy: cache ${this.name} is already destroyed`);
    if (this.liveObjects > 0) {
      this.allocator.log.printk(
        LogLevel.ERR,
        `kmem_cache_destroy ${this.name}: Slab cache still has objects when called from kmemCacheDestroy`,
      );
      throw new KernelBug(
        `kmemCacheDestroy: cache ${this.name} still has ${this.liveObjects} objects`,
      );
    }
    this.release();
    this.alive = false;
    this.allocator.forgetCache(this);
  }

  /**
   * Throws `KernelBug`, with the kernel's report, unless `owner` (the cache
   * of the slab page holding `va`) is this cache: the page is no slab, or
   * another cache's (`cache_from_obj`'s "Wrong slab cache").
   */
  protected checkOwner(fn: string, va: number, owner: SlabCacheBase | undefined): void {
    if (owner === this) return;
    if (owner === undefined) {
      this.allocator.report(this.name, `${fn}: Object ${formatAddress(va)} is not a Slab page`);
      throw new KernelBug(
        `${fn}: ${formatAddress(va)} is not a ${this.name} object: its page is not a slab`,
      );
    }
    this.allocator.report(
      this.name,
      `${fn}: Wrong slab cache. ${this.name} but object is from ${owner.name}`,
    );
    throw new KernelBug(
      `${fn}: ${formatAddress(va)} belongs to cache ${owner.name}, not ${this.name}`,
    );
  }

  /** Reports and throws for a pointer into the middle of a slab, not at an object. */
  protected invalidPointer(fn: string, va: number): never {
    this.allocator.report(this.name, `Invalid object pointer ${formatAddress(va)}`);
    throw new KernelBug(`${fn}: ${formatAddress(va)} is not the start of a ${this.name} object`);
  }

  /** Reports and throws for a free of an object that is free already. */
  protected alreadyFree(fn: string, va: number): never {
    this.allocator.report(this.name, 'Object already free', [`Object ${formatAddress(va)}`]);
    throw new KernelBug(`${fn}: double free of ${formatAddress(va)} in cache ${this.name}`);
  }

  /** Throws unless the cache may be used. */
  protected checkAlive(fn: string): void {
    if (!this.alive) throw new KernelBug(`${fn}: cache ${this.name} was destroyed`);
  }
}

/** The slab layer: caches, kmalloc and the checks around them. */
export abstract class SlabAllocatorBase {
  /** Which design this is. */
  abstract readonly kind: SlabKind;
  /** The page allocator slabs come from. */
  readonly buddy: BuddyAllocator;
  readonly memory: PhysicalMemory;
  readonly memMap: MemMap;
  readonly arch: Arch;
  readonly log: KernelLog;
  /** `sizeof(void *)`. */
  readonly pointerSize: number;
  /** kmalloc size classes. */
  readonly kmallocClasses: readonly KmallocClass[];
  /** The kmalloc class index of every size up to KMALLOC_MAX_CACHE_SIZE. */
  protected readonly kmallocIndexBySize: Int8Array;
  /** `KMALLOC_MAX_CACHE_SIZE`. */
  readonly kmallocMaxCacheSize: number;
  /** `KMALLOC_MAX_SIZE`: the largest kmalloc (a block of MAX_ORDER). */
  readonly kmallocMaxSize: number;
  /** Caches by id (index 0 unused). */
  protected readonly cacheById: (SlabCacheBase | undefined)[] = [undefined];
  /** Live caches, newest first (`slab_caches`). */
  protected readonly cacheList: SlabCacheBase[] = [];
  /** kmalloc caches by family and size class, created at boot. */
  protected readonly kmallocCaches: Record<KmallocType, SlabCacheBase[]>;
  /** One bit per 8 bytes of RAM: set at each live object's start. */
  protected readonly objectShadow: Uint8Array;
  /** `failslab` fault injection, if configured. */
  readonly failslab: FaultInjector | null;
  private readonly debug: SlabDebugConfig | null;
  private tainted = false;
  /** Where the debug checks of slab-debug.ts report. */
  readonly debugSink: DebugSink;

  constructor(buddy: BuddyAllocator, options: SlabAllocatorOptions = {}) {
    this.buddy = buddy;
    this.memory = buddy.memory;
    this.memMap = buddy.memMap;
    this.arch = buddy.arch;
    this.log = buddy.log;
    this.pointerSize = buddy.arch.is64Bit ? 8 : 4;
    this.kmallocClasses = kmallocClasses(buddy.arch.pageSize);
    this.kmallocMaxCacheSize = buddy.arch.pageSize * 2;
    this.kmallocIndexBySize = kmallocIndexTable(this.kmallocClasses);
    this.kmallocMaxSize = buddy.arch.pageSize * 2 ** 10;
    this.objectShadow = new Uint8Array(new SharedArrayBuffer(Math.ceil(buddy.memory.size / 64)));
    this.failslab = options.failslab
      ? new FaultInjector('failslab', options.failslab, buddy.log)
      : null;
    this.debug = options.slubDebug ?? null;
    this.kmallocCaches = { normal: [], dma: [], rcl: [], cg: [] };
    this.debugSink = {
      memory: this.memory,
      log: this.log,
      report: (name, message, details) => this.report(name, message, details),
      virt: (pa) => pa + this.arch.pageOffset,
    };
  }

  /**
   * Creates the kmalloc caches (`create_kmalloc_caches`). Called by each
   * implementation's constructor once it can create caches.
   */
  protected createKmallocCaches(): void {
    const families: [KmallocType, string, number][] = [
      ['normal', 'kmalloc-', 0],
      ['dma', 'dma-kmalloc-', SLAB_CACHE_DMA],
      ['rcl', 'kmalloc-rcl-', SLAB_RECLAIM_ACCOUNT],
      ['cg', 'kmalloc-cg-', SLAB_ACCOUNT],
    ];
    for (const [type, prefix, flags] of families) {
      for (const cls of this.kmallocClasses) {
        // Power-of-two sizes are naturally aligned (kmalloc guarantees it since 5.4).
        const align = (cls.size & (cls.size - 1)) === 0 ? cls.size : ARCH_SLAB_MINALIGN;
        this.kmallocCaches[type].push(
          this.newCache(`${prefix}${cls.label}`, cls.size, align, flags, undefined),
        );
      }
    }
  }

  /** Every live cache, newest first, as /proc/slabinfo lists them. */
  get caches(): readonly KmemCache[] {
    return this.cacheList;
  }

  // --- caches -------------------------------------------------------------

  /**
   * `kmem_cache_create`.
   *
   * @throws KernelBug for a name that is not a non-empty string, a size
   *   that is not an integer from 1 to KMALLOC_MAX_SIZE, an alignment that
   *   is not a power of two, unknown flags or a ctor that is not a function.
   */
  kmemCacheCreate(name: string, size: number, options: KmemCacheOptions = {}): KmemCache {
    if (typeof name !== 'string' || name.length === 0) {
      throw new KernelBug(`kmemCacheCreate: name ${describeValue(name)} is not a non-empty string`);
    }
    if (typeof options !== 'object' || options === null) {
      throw new KernelBug(
        `kmemCacheCreate: ${name}: options ${describeValue(options)} is not an object`,
      );
    }
    const { align = 0, flags = 0, ctor } = options;
    if (!Number.isInteger(size) || size < 1 || size > this.kmallocMaxSize) {
      throw new KernelBug(
        `kmemCacheCreate: ${name}: size ${describeValue(size)} is not an integer from 1 to ${this.kmallocMaxSize}`,
      );
    }
    if (
      !Number.isInteger(align) ||
      align < 0 ||
      (align & (align - 1)) !== 0 ||
      align > this.arch.pageSize
    ) {
      throw new KernelBug(
        `kmemCacheCreate: ${name}: align ${describeValue(align)} is not a power of two up to a page`,
      );
    }
    if (!Number.isInteger(flags) || flags < 0 || (flags & ~SLAB_FLAGS_PERMITTED) !== 0) {
      throw new KernelBug(
        `kmemCacheCreate: ${name}: flags ${typeof flags === 'number' && Number.isInteger(flags) ? `0x${(flags >>> 0).toString(16)}` : describeValue(flags)} has unknown bits`,
      );
    }
    if (ctor !== undefined && typeof ctor !== 'function') {
      throw new KernelBug(`kmemCacheCreate: ${name}: ctor is not a function`);
    }
    return this.newCache(name, size, calculateAlignment(flags, align, size), flags, ctor);
  }

  private newCache(
    name: string,
    size: number,
    align: number,
    flags: number,
    ctor: ((obj: VirtAddr) => void) | undefined,
  ): SlabCacheBase {
    const id = this.cacheById.length;
    const cache = this.createCache(id, name, size, align, flags | this.debugFlags(name), ctor);
    this.cacheById.push(cache);
    this.cacheList.unshift(cache);
    return cache;
  }

  /** The implementation's cache constructor. `align` is final; `flags` include debug flags. */
  protected abstract createCache(
    id: number,
    name: string,
    size: number,
    align: number,
    flags: number,
    ctor: ((obj: VirtAddr) => void) | undefined,
  ): SlabCacheBase;

  /** The debug flags `slub_debug=` gives a cache of this name. */
  private debugFlags(name: string): number {
    if (this.debug === null) return 0;
    if (this.debug.caches.length > 0 && !this.debug.caches.includes(name)) return 0;
    let flags = 0;
    for (const letter of this.debug.flags) flags |= SLUB_DEBUG_LETTERS[letter] ?? 0;
    return flags;
  }

  /** Drops a destroyed cache from the lists. */
  forgetCache(cache: SlabCacheBase): void {
    const i = this.cacheList.indexOf(cache);
    if (i >= 0) this.cacheList.splice(i, 1);
    this.cacheById[cache.id] = undefined;
  }

  /** The cache with this id, if it is alive. */
  cacheWithId(id: number): SlabCacheBase | undefined {
    return this.cacheById[id];
  }

  /** Whether `cache` is a live cache of this allocator (found by its id, not by a scan). */
  hasCache(cache: unknown): boolean {
    if (!(cache instanceof SlabCacheBase)) return false;
    return this.cacheById[cache.id] === cache;
  }

  // --- the kmalloc family -------------------------------------------------

  /** `kmalloc_type`: which family of caches serves a gfp mask. */
  protected kmallocType(gfp: Gfp): KmallocType {
    if ((gfp & (__GFP_DMA | __GFP_RECLAIMABLE | __GFP_ACCOUNT)) === 0) return 'normal';
    if ((gfp & __GFP_DMA) !== 0) return 'dma';
    return (gfp & __GFP_RECLAIMABLE) !== 0 ? 'rcl' : 'cg';
  }

  /**
   * `kmalloc`: `size` bytes, from the smallest kmalloc cache that holds
   * them, or from the page allocator above KMALLOC_MAX_CACHE_SIZE.
   * `kmalloc(0)` returns `ZERO_SIZE_PTR`. Returns `null` when memory cannot
   * be found or `size` exceeds KMALLOC_MAX_SIZE.
   *
   * @throws KernelBug for a size that is not a non-negative integer or an invalid gfp mask.
   */
  kmalloc(size: number, gfp: Gfp): VirtAddr | null {
    if (!isCount(size)) {
      throw new KernelBug(`kmalloc: size ${describeValue(size)} is not a non-negative integer`);
    }
    checkGfp('kmalloc', gfp);
    if (size === 0) return ZERO_SIZE_PTR as VirtAddr;
    if (size > this.kmallocMaxCacheSize) return this.kmallocLarge(size, gfp);
    const index = this.kmallocIndexBySize[size] as number;
    const cache = this.kmallocCaches[this.kmallocType(gfp)][index] as SlabCacheBase;
    return cache.alloc(gfp);
  }

  /** `__kmalloc_large_node`: whole pages, marked so that kfree recognises them. */
  protected kmallocLarge(size: number, gfp: Gfp): VirtAddr | null {
    if (size > this.kmallocMaxSize) {
      if ((gfp & __GFP_NOWARN) === 0) {
        this.log.printk(
          LogLevel.WARNING,
          `kmalloc: size ${size} is larger than KMALLOC_MAX_SIZE (${this.kmallocMaxSize})`,
        );
      }
      return null;
    }
    const order = Math.max(0, Math.ceil(Math.log2(size / this.arch.pageSize)));
    const pfn = this.buddy.allocPages(this.fixGfp(gfp) | __GFP_COMP, order);
    if (pfn === null) return null;
    this.memMap.setPageType(pfn, PageType.largeKmalloc);
    return this.pfnToVirt(pfn);
  }

  /** `kzalloc`: kmalloc with `__GFP_ZERO` (common code: see {@link kzallocOn}). */
  kzalloc(size: number, gfp: Gfp): VirtAddr | null {
    return kzallocOn(this, size, gfp);
  }

  /**
   * `kcalloc`: an array of `n` elements of `size` bytes, zeroed; `null` if
   * `n * size` overflows (common code: see {@link kcallocOn}).
   */
  kcalloc(n: number, size: number, gfp: Gfp): VirtAddr | null {
    return kcallocOn(this, this, n, size, gfp);
  }

  /**
   * `krealloc`: resizes an allocation, in place when `ksize` allows,
   * otherwise by moving it. A `null` result leaves the old allocation
   * untouched. `krealloc(ptr, 0)` frees and returns `ZERO_SIZE_PTR`
   * (common code: see {@link kreallocOn}).
   */
  krealloc(ptr: number | null, size: number, gfp: Gfp): VirtAddr | null {
    return kreallocOn(this, this, ptr, size, gfp);
  }

  /**
   * `kfree`: frees what kmalloc returned. `null`, 0 and `ZERO_SIZE_PTR` are
   * ignored.
   *
   * @throws KernelBug, changing nothing, for a pointer kmalloc never
   *   returned, a pointer into the middle of an object, or a double free.
   */
  kfree(ptr: number | null): void {
    if (ptr === null || ptr === 0 || ptr === ZERO_SIZE_PTR) return;
    const head = this.headOfObject('kfree', ptr);
    const cache = this.slabCacheOf(head);
    if (cache !== undefined) {
      cache.kfreeIn(head, ptr);
      return;
    }
    if (this.memMap.pageType(head) === PageType.largeKmalloc && this.pfnToVirt(head) === ptr) {
      const order = this.buddy.allocatedOrder(head);
      this.memMap.setPageType(head, PageType.none);
      this.buddy.freePages(head, order);
      return;
    }
    this.report('kfree', `Object ${formatAddress(ptr)} is not a slab object`);
    throw new KernelBug(`kfree: ${formatAddress(ptr)} was never returned by kmalloc`);
  }

  /** `ksize`: the usable size of a kmalloc allocation (at least what was asked). */
  ksize(ptr: number): number {
    if (ptr === ZERO_SIZE_PTR) return 0;
    const head = this.headOfObject('ksize', ptr);
    const cache = this.slabCacheOf(head);
    if (cache !== undefined) {
      cache.checkObject('ksize', ptr);
      return cache.ksize();
    }
    if (this.memMap.pageType(head) === PageType.largeKmalloc && this.pfnToVirt(head) === ptr) {
      return this.arch.pageSize << this.buddy.allocatedOrder(head);
    }
    throw new KernelBug(`ksize: ${formatAddress(ptr)} was never returned by kmalloc`);
  }

  /**
   * The name of the cache that served a kmalloc allocation (`'kmalloc-128'`
   * for `kmalloc(100)`), or `null` when no cache did: `ZERO_SIZE_PTR`, a
   * large kmalloc (whole pages from the page allocator). For an object of
   * a kmem_cache (which `kfree` and `ksize` accept too), that cache's name.
   *
   * @throws KernelBug for a pointer kmalloc never returned, as `ksize` does.
   */
  kmallocCacheName(ptr: number): string | null {
    if (ptr === ZERO_SIZE_PTR) return null;
    const head = this.headOfObject('kmallocCacheName', ptr);
    const cache = this.slabCacheOf(head);
    if (cache !== undefined) {
      cache.checkObject('kmallocCacheName', ptr);
      return cache.name;
    }
    if (this.memMap.pageType(head) === PageType.largeKmalloc && this.pfnToVirt(head) === ptr) {
      return null;
    }
    throw new KernelBug(`kmallocCacheName: ${formatAddress(ptr)} was never returned by kmalloc`);
  }

  // --- helpers for the implementations -------------------------------------

  /** The cache owning the slab whose head frame is `head`, if it is a slab page. */
  slabCacheOf(head: number): (SlabCacheBase & ObjectChecks) | undefined {
    if (!this.memMap.testFlag(head, PG.slab)) return undefined;
    return this.cacheById[this.memMap.mapping[head] as number] as
      | (SlabCacheBase & ObjectChecks)
      | undefined;
  }

  /**
   * The head frame of the page holding a kernel address, after checking
   * that it is a direct-map address of RAM.
   */
  headOfObject(fn: string, va: number): number {
    // typeof first: arithmetic on a BigInt or an object would throw or coerce.
    const pa = typeof va === 'number' ? va - this.arch.pageOffset : Number.NaN;
    if (
      !Number.isInteger(va) ||
      !(pa >= 0 && pa < this.memory.size && pa < this.arch.directMapLimit)
    ) {
      throw new KernelBug(`${fn}: ${showAddress(va)} is not a kernel direct-map address`);
    }
    return this.memMap.compoundHead(Math.floor(pa / this.arch.pageSize));
  }

  /** `__va` of a frame. */
  pfnToVirt(pfn: number): VirtAddr {
    return (this.arch.pageOffset + pfn * this.arch.pageSize) as VirtAddr;
  }

  /** `__pa` of a direct-map address (unchecked). */
  virtToPhys(va: number): number {
    return va - this.arch.pageOffset;
  }

  /**
   * `kmalloc_fix_flags`: slab pages must be lowmem; `__GFP_HIGHMEM` and
   * `__GFP_DMA32` are dropped with the kernel's warning.
   */
  fixGfp(gfp: Gfp): Gfp {
    const bad = gfp & (__GFP_HIGHMEM | __GFP_DMA32);
    if (bad === 0) return gfp;
    const fixed = gfp & ~bad;
    this.log.printk(
      LogLevel.WARNING,
      `Unexpected gfp: 0x${bad.toString(16)} (${formatGfp(bad)}). Fixing up to gfp: 0x${fixed.toString(16)} (${formatGfp(fixed)}). Fix your code!`,
    );
    return fixed;
  }

  /** `should_failslab`. */
  shouldFailslab(gfp: Gfp): boolean {
    const injector = this.failslab;
    if (injector === null || (gfp & __GFP_NOFAIL) !== 0) return false;
    if (injector.config.ignoreGfpWait && (gfp & __GFP_DIRECT_RECLAIM) !== 0) return false;
    return injector.shouldFail((gfp & __GFP_NOWARN) !== 0);
  }

  /** Whether an object starts at `pa` (its shadow bit). */
  shadowTest(pa: number): boolean {
    const bit = Math.floor(pa / 8);
    return (((this.objectShadow[bit >>> 3] as number) >>> (bit & 7)) & 1) !== 0;
  }

  /** Marks an object start live. */
  shadowSet(pa: number): void {
    const bit = Math.floor(pa / 8);
    this.objectShadow[bit >>> 3] = (this.objectShadow[bit >>> 3] as number) | (1 << (bit & 7));
  }

  /** Marks an object start free. */
  shadowClear(pa: number): void {
    const bit = Math.floor(pa / 8);
    this.objectShadow[bit >>> 3] = (this.objectShadow[bit >>> 3] as number) & ~(1 << (bit & 7));
  }

  /**
   * Counts slab pages as /proc/vmstat's `nr_slab_reclaimable` or
   * `nr_slab_unreclaimable` (in pages), by the cache's SLAB_RECLAIM_ACCOUNT.
   */
  accountSlab(cache: SlabCacheBase, pages: number): void {
    const reclaimable = (cache.flags & SLAB_RECLAIM_ACCOUNT) !== 0;
    this.buddy.events.count(reclaimable ? 'nr_slab_reclaimable' : 'nr_slab_unreclaimable', pages);
  }

  /** Zeroes `len` bytes at `pa` (objects are small; whole pages use zeroPage). */
  zeroBytes(pa: number, len: number): void {
    if (len <= 0) return;
    if (pa % 4 === 0 && len % 4 === 0) {
      const chunk = Math.floor(pa / 2 ** 32);
      const words = this.memory.i32[chunk] as Int32Array;
      const start = (pa - chunk * 2 ** 32) / 4;
      words.fill(0, start, start + len / 4);
    } else {
      this.memory.write(pa, new Uint8Array(len));
    }
  }

  /**
   * `slab_bug`: the report Linux prints when a slab check fails, to dmesg.
   * The first report taints the kernel (`B`, bad page).
   */
  report(cacheName: string, message: string, details: readonly string[] = []): void {
    const taint = this.tainted ? 'Tainted: B' : 'Not tainted';
    this.tainted = true;
    const log = this.log;
    log.printk(LogLevel.ERR, '='.repeat(77));
    log.printk(LogLevel.ERR, `BUG ${cacheName} (${taint}): ${message}`);
    log.printk(LogLevel.ERR, `${'-'.repeat(77)}\n`);
    for (const line of details) log.printk(LogLevel.ERR, line);
  }

  // --- /proc and invariants ----------------------------------------------

  /** Checks every cache's invariants and the object shadow against them. */
  checkInvariants(): void {
    let live = 0;
    for (const cache of this.cacheList) {
      cache.checkInvariants();
      live += cache.liveObjects;
    }
    let marked = 0;
    for (let i = 0; i < this.objectShadow.length; i++) {
      let b = this.objectShadow[i] as number;
      while (b !== 0) {
        b &= b - 1;
        marked++;
      }
    }
    if (marked !== live) {
      throw new KernelBug(
        `checkInvariants: ${marked} objects are marked live, the caches hold ${live}`,
      );
    }
  }
}

/** Object checks every cache provides to the common code. */
export interface ObjectChecks {
  /** Throws `KernelBug` (with a BUG report) unless `va` is a live object of this cache. */
  checkObject(fn: string, va: number): void;
}

/**
 * `calculate_alignment`: SLAB_HWCACHE_ALIGN aligns to a cache line, halved
 * while the object fits in half of it; never less than the requested
 * alignment or ARCH_SLAB_MINALIGN; a multiple of a pointer's size.
 */
export function calculateAlignment(flags: number, align: number, size: number): number {
  if (!Number.isInteger(flags)) {
    throw new KernelBug(`calculateAlignment: flags ${describeValue(flags)} is not an integer`);
  }
  checkCount('calculateAlignment', 'align', align);
  if (!isCount(size) || size === 0) {
    throw new KernelBug(
      `calculateAlignment: size ${describeValue(size)} is not a positive integer`,
    );
  }
  let a = align;
  if ((flags & SLAB_HWCACHE_ALIGN) !== 0) {
    let ralign = CACHE_LINE_SIZE;
    while (size <= ralign / 2) ralign /= 2;
    a = Math.max(a, ralign);
  }
  a = Math.max(a, ARCH_SLAB_MINALIGN);
  return Math.ceil(a / 8) * 8;
}

/**
 * Throws `KernelBug` unless the numbers a cache's layout is computed from
 * are sane: a positive object size, a power-of-two alignment, integer
 * flags and a boolean `hasCtor`. For the static layout helpers, which
 * `kmemCacheCreate` calls with checked values and users may call directly.
 *
 * @internal
 */
export function checkCacheShape(
  fn: string,
  objectSize: unknown,
  align: unknown,
  flags: unknown,
  hasCtor: unknown,
): void {
  if (!isCount(objectSize) || objectSize === 0) {
    throw new KernelBug(
      `${fn}: object size ${describeValue(objectSize)} is not a positive integer`,
    );
  }
  if (!isCount(align) || align === 0 || (align & (align - 1)) !== 0) {
    throw new KernelBug(`${fn}: align ${describeValue(align)} is not a power of two`);
  }
  checkInteger(fn, 'flags', flags);
  if (typeof hasCtor !== 'boolean') {
    throw new KernelBug(`${fn}: hasCtor ${describeValue(hasCtor)} is not a boolean`);
  }
}

/** Bits of `struct page`'s `flags` word below the page type. */
export function pageTypeOf(flags: number): number {
  return flags >>> PAGE_TYPE_SHIFT;
}

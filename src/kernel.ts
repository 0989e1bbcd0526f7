/**
 * `Kernel.boot`: builds a machine from its layers, in the order
 * init/main.c and mm/mm_init.c bring them up, and nothing more.
 *
 * 1. Validate the whole configuration (nothing is built if any option is bad).
 * 2. Physical memory for the architecture (`setup_arch`).
 * 3. The page allocator (`mm_core_init`): early reservations, the struct
 *    page array, zones, and every free frame handed to the buddy lists.
 * 4. The slab allocator the configuration names (`kmem_cache_init`), with
 *    its kmalloc caches.
 * 5. Virtual memory (`VmSystem`): the kernel's page tables, the zero page,
 *    a TLB per CPU; processes are spawned from it.
 * 6. The file system (`Vfs`) on a simulated disk.
 * 7. Swap (`swapon` of the configured area, simulated or a host file) and
 *    reclaim: the page allocator's slow path gets kswapd, direct reclaim
 *    and the OOM killer (`setReclaimer`), and the way out of the kernel
 *    runs what they defer.
 *
 * `Kernel` delegates to its parts; each part is usable alone.
 */
import { type BootConfig, type BootOptions, parseBootOptions } from './boot-options.js';
import { BAD_FLAGS_AT_FREE, BuddyAllocator, LRU_FLAGS } from './buddy/buddy-allocator.js';
import { checkBuddyInvariants } from './buddy/invariants.js';
import type { Memblock } from './buddy/memblock.js';
import type { Zone } from './buddy/zone.js';
import { __GFP_HIGHMEM, type Gfp } from './gfp/flags.js';
import { checkGfp } from './gfp/zone.js';
import {
  formatAddress,
  inDirectMap,
  type Pfn,
  type PhysAddr,
  pfnToPhys,
  physToPfn,
  physToVirt,
  showAddress,
  type VirtAddr,
  virtToPhys,
} from './page/address.js';
import { type Arch, getArch } from './page/arch.js';
import { SimClock } from './page/clock.js';
import { KernelBug, KernelError } from './page/errors.js';
import { KernelLog, LogLevel } from './page/kernel-log.js';
import type { MemMap } from './page/mem-map.js';
import { PageType, PG } from './page/page-flags.js';
import { PhysicalMemory } from './page/physical-memory.js';
import { checkByteArray, checkCount, checkStoreValue, describeValue } from './page/validate.js';
import { VmEvents } from './page/vm-events.js';
import { createSlabAllocator } from './slab/create.js';
import { kcallocOn, kreallocOn, kzallocOn } from './slab/kmalloc-family.js';
import type { KmemCache, KmemCacheOptions } from './slab/kmem-cache.js';
import type { SlabAllocatorOptions } from './slab/slab-common.js';
import type { SlabKind } from './slab/slab-kind.js';
import { type SlabFactory, type SlabLayer, slabLayerProblem } from './slab/slab-layer.js';
import { pageCacheHooks } from './vm/fs/coherence.js';
import { SimDisk } from './vm/fs/disk.js';
import { ext4MaxBytes, Vfs } from './vm/fs/vfs.js';
import { Pkmap } from './vm/highmem.js';
import { checkVmInvariants } from './vm/invariants.js';
import { pageStatSnapshot } from './vm/proc/mem-stats.js';
import { ProcFs } from './vm/proc/procfs.js';
import type { Process } from './vm/process.js';
import { checkReclaimInvariants } from './vm/reclaim/invariants.js';
import { createPolicy } from './vm/reclaim/policy/policy.js';
import { ReclaimSystem, type Shrinker } from './vm/reclaim/reclaim.js';
import { SwapSystem } from './vm/reclaim/swap.js';
import { SwapArea } from './vm/swap/swap-area.js';
import { FileSwapStore, SimSwapStore, type SwapStore } from './vm/swap/swap-store.js';
import { vmTunables } from './vm/syscalls/vma-ops.js';
import { sysctl } from './vm/sysctl.js';
import { VmSystem } from './vm/vm-system.js';

/** Flags of pages that the VM or slab owns, which `k.freePages` refuses (see there). */
const FREE_PAGES_REFUSED_FLAGS = BAD_FLAGS_AT_FREE | LRU_FLAGS | (1 << PG.tail);
/** `MAX_PAGE_ORDER`: the largest order the page allocator hands out. */
export const MAX_ORDER = 10;

/** A booted machine. */
export class Kernel {
  /** The validated boot configuration. */
  readonly config: BootConfig;
  /** The architecture profile. */
  readonly arch: Arch;
  /** Simulated RAM (its buffer is `memory.buffer`). */
  readonly memory: PhysicalMemory;
  /** The page allocator. */
  readonly buddy: BuddyAllocator;
  /** The slab allocator (`slab` boot option): SLUB, SLAB, SLOB or one a factory built. */
  readonly slab: SlabLayer;
  /** Virtual memory: address spaces, page tables, TLBs, processes. */
  readonly vm: VmSystem;
  /**
   * The file system: files on a simulated disk outside RAM (`writeFile`,
   * `readFile`, and the page interface the page cache will use).
   */
  readonly vfs: Vfs;
  /** The swap layer (null without swap). */
  readonly swap: SwapSystem | null;
  /** Reclaim: kswapd, direct reclaim, shrinkers and the OOM killer. */
  readonly reclaim: ReclaimSystem;
  private readonly pkmap: Pkmap;
  /** The /proc tree (`proc`, `procRead`, `writeProc`, `sysctl`, and /proc paths processes open). */
  private readonly procfs: ProcFs;
  /** The kernel log. */
  readonly log: KernelLog;
  /** Event counters, as /proc/vmstat prints them. */
  readonly events: VmEvents;
  /** `PAGE_SIZE`. */
  readonly PAGE_SIZE: number;
  /** `PAGE_SHIFT`. */
  readonly PAGE_SHIFT: number;
  /** `MAX_PAGE_ORDER`: orders 0..10 are valid. */
  readonly MAX_ORDER = MAX_ORDER;
  /** Simulated time since boot, derived from the work the machine has done (`SimClock`). */
  readonly clock: SimClock;

  private constructor(config: BootConfig) {
    this.config = config;
    this.arch = getArch(config.arch);
    this.PAGE_SIZE = this.arch.pageSize;
    this.PAGE_SHIFT = this.arch.pageShift;
    this.events = new VmEvents();
    this.clock = new SimClock(this.events);
    this.log = new KernelLog(() => this.clock.nowNs());
    this.log.printk(LogLevel.NOTICE, `Linux version 6.18.0-mmsim (${this.arch.name}) #1 SMP`);
    this.memory = new PhysicalMemory(config.memory, this.arch.pageSize);
    this.buddy = new BuddyAllocator(this.memory, {
      arch: this.arch,
      cpus: config.cpus,
      log: this.log,
      events: this.events,
      failPageAlloc: config.failPageAlloc,
      // Warnings name the task that allocated, as `current->comm` does.
      comm: () => this.vm?.current?.name ?? 'swapper/0',
    });
    const slabOptions: SlabAllocatorOptions = {
      failslab: config.failslab,
      slubDebug: config.slubDebug,
    };
    this.slab =
      config.slabFactory === null
        ? createSlabAllocator(config.slab as SlabKind, this.buddy, slabOptions)
        : buildSlab(config.slabFactory, this.buddy, slabOptions);
    this.vm = new VmSystem(this.buddy);
    this.pkmap = new Pkmap(this.arch);
    this.vfs = new Vfs(new SimDisk(this.arch.pageSize), {
      maxBytes: ext4MaxBytes(this.arch.pageSize, this.arch.is64Bit),
    });
    this.vm.vfs = this.vfs;
    this.vfs.cacheHooks = pageCacheHooks(this.vm, this.vfs);
    this.swap = null;
    if (config.swap !== false) {
      const slots = config.swap.size / this.arch.pageSize;
      const store: SwapStore =
        config.swap.file === undefined
          ? new SimSwapStore(slots, this.arch.pageSize)
          : new FileSwapStore(config.swap.file, slots, this.arch.pageSize);
      this.swap = new SwapSystem(this.vm, new SwapArea(store), this.vm.lru);
      this.vm.swap = this.swap;
      const kib = (this.swap.area.total * this.arch.pageSize) / 1024;
      this.log.printk(
        LogLevel.INFO,
        `Adding ${kib}k swap on ${store.description}.  Priority:${this.swap.area.priority} extents:1 across:${kib}k`,
      );
    }
    const policy =
      config.reclaimPolicy === 'lru-2q'
        ? null
        : createPolicy(config.reclaimPolicy, { capacity: this.memory.frames });
    this.reclaim = new ReclaimSystem(this.vm, this.swap, policy);
    this.buddy.setReclaimer(this.reclaim);
    this.buddy.pageStats = () =>
      pageStatSnapshot({
        buddy: this.buddy,
        vm: this.vm,
        caches: this.slab.caches,
        swap: this.swap,
      });
    this.vm.deferredWork = this.reclaim;
    // init_user_reserve, init_admin_reserve: the reserves are a share of what is free at boot.
    vmTunables(this.vm);
    this.procfs = new ProcFs({
      buddy: this.buddy,
      vm: this.vm,
      slab: this.slab,
      swap: this.swap,
      clock: this.clock,
    });
    this.vm.procfs = this.procfs;
  }

  /**
   * Boots a machine.
   *
   * @throws KernelError `EINVAL` naming the option, for any bad option.
   *
   * @example
   * ```ts
   * const k = Kernel.boot({ arch: 'x86_64', memory: '64M' });
   * const pfn = k.allocPages(GFP_KERNEL, 0);
   * console.log(k.proc('/proc/buddyinfo'));
   * ```
   */
  static boot(options: BootOptions = {}): Kernel {
    return new Kernel(parseBootOptions(options));
  }

  /** The struct page array. */
  get memMap(): MemMap {
    return this.buddy.memMap;
  }

  /** Early reservations made during boot. */
  get memblock(): Memblock {
    return this.buddy.memblock;
  }

  /** The zones of node 0, empty ones included. */
  get zones(): readonly Zone[] {
    return this.buddy.zones;
  }

  /** getpagesize(2). */
  getpagesize(): number {
    return this.PAGE_SIZE;
  }

  /** The kernel log as `dmesg` prints it. */
  dmesg(): string {
    return this.log.dmesg();
  }

  // --- page allocator ----------------------------------------------------

  /** `alloc_pages`: see {@link BuddyAllocator.allocPages}. */
  allocPages(gfp: Gfp, order: number): Pfn | null {
    // enterKernel/leaveKernel spelt out, not inKernel: no closure on the allocation path.
    const prev = this.vm.enterKernel(null);
    try {
      return this.buddy.allocPages(gfp, order);
    } finally {
      this.vm.leaveKernel(prev);
    }
  }

  /** `__free_pages`: see {@link BuddyAllocator.freePages}. */
  freePages(pfn: number, order: number): void {
    // Pages the VM or slab owns are never the caller's to free; with a second
    // reference the buddy allocator would only drop one (put_page), leaving
    // their owner's count short. Linux trusts the caller; mmsim refuses.
    if (
      typeof pfn === 'number' &&
      pfn >= 0 &&
      pfn < this.buddy.memMap.frames &&
      Number.isInteger(pfn)
    ) {
      const m = this.buddy.memMap;
      const owned = (m.flags[pfn] as number) & FREE_PAGES_REFUSED_FLAGS;
      if ((m.mapcount[pfn] as number) !== 0 || owned !== 0 || m.pageType(pfn) !== PageType.none) {
        throw new KernelBug(
          `freePages: pfn ${pfn} belongs to ${m.mapcount[pfn] !== 0 ? 'user mappings' : 'the VM or slab'} (flags ${m.flagNames(pfn).join('|') || 'none'}), not to the caller`,
        );
      }
    }
    this.buddy.freePages(pfn, order);
  }

  /**
   * `__get_free_pages`: like `allocPages`, but returns the block's kernel
   * virtual address, or 0 on failure. `__GFP_HIGHMEM` is ignored, since a
   * HighMem frame has no permanent address.
   */
  getFreePages(gfp: Gfp, order: number): VirtAddr | 0 {
    checkGfp('getFreePages', gfp); // before the mask below turns garbage into a number
    const pfn = this.inKernel(() => this.buddy.allocPages(gfp & ~__GFP_HIGHMEM, order));
    return pfn === null ? 0 : (this.pageAddress(pfn) as VirtAddr);
  }

  /** `free_pages`: frees a block by its kernel virtual address; 0 is ignored. */
  freePagesAddr(va: number, order: number): void {
    if (va === 0) return;
    this.buddy.freePages(this.virtToPage(va), order);
  }

  /** `drain_all_pages`: per-CPU list pages go back to the buddy lists. */
  drainAllPages(): void {
    this.buddy.drainAllPages();
  }

  /**
   * Runs a kernel call outside any process: what it defers (kswapd, an OOM
   * victim's teardown) runs when it returns.
   */
  private inKernel<T>(call: () => T): T {
    const prev = this.vm.enterKernel(null);
    try {
      return call();
    } finally {
      this.vm.leaveKernel(prev);
    }
  }

  // --- reclaim -----------------------------------------------------------------

  /**
   * Runs kswapd now (`balance_pgdat`): reclaims until a zone is above its
   * high watermark. It also runs by itself on the way out of the kernel
   * after an allocation woke it. Returns the pages reclaimed.
   */
  kswapd(): number {
    return this.inKernel(() => this.reclaim.kswapd());
  }

  /** `register_shrinker`: a cache whose objects reclaim may ask to be freed. */
  registerShrinker(shrinker: Shrinker): void {
    this.reclaim.registerShrinker(shrinker);
  }

  /** `unregister_shrinker`. */
  unregisterShrinker(shrinker: Shrinker): void {
    this.reclaim.unregisterShrinker(shrinker);
  }

  // --- processes ---------------------------------------------------------------

  /**
   * A new process with a fresh address space: an empty brk heap and a
   * `[stack]`, init's resource limits (RLIMIT_MEMLOCK 8 MiB, RLIMIT_STACK
   * 8 MiB, ...) and no privilege: `capIpcLock: true` grants CAP_IPC_LOCK
   * (memory locks ignore RLIMIT_MEMLOCK, as root's do), `capSysResource:
   * true` CAP_SYS_RESOURCE (hard limits may be raised). Both are inherited
   * across fork.
   *
   * @example
   * ```ts
   * const p = k.spawn({ name: 'db', capIpcLock: true });
   * p.sys.mlockall(MCL_CURRENT | MCL_FUTURE); // 0, whatever RLIMIT_MEMLOCK says
   * ```
   */
  spawn(
    options: {
      readonly name?: string;
      readonly capIpcLock?: boolean;
      readonly capSysResource?: boolean;
    } = {},
  ): Process {
    if (typeof options !== 'object' || options === null) {
      throw new KernelBug(`spawn: options ${describeValue(options)} is not an object`);
    }
    if (options.name !== undefined && typeof options.name !== 'string') {
      throw new KernelBug(`spawn: name ${describeValue(options.name)} is not a string`);
    }
    for (const cap of ['capIpcLock', 'capSysResource'] as const) {
      const v: unknown = options[cap];
      if (v !== undefined && typeof v !== 'boolean') {
        throw new KernelBug(`spawn: ${cap} ${describeValue(v)} is not a boolean`);
      }
    }
    return this.vm.spawn(options.name ?? 'init', {
      capIpcLock: options.capIpcLock === true,
      capSysResource: options.capSysResource === true,
    });
  }

  /** Live processes by pid. */
  get processes(): ReadonlyMap<number, Process> {
    return this.vm.processes;
  }

  // --- slab ------------------------------------------------------------------

  /** `kmem_cache_create`: see {@link SlabLayer.kmemCacheCreate}. */
  kmemCacheCreate(name: string, size: number, options: KmemCacheOptions = {}): KmemCache {
    return this.slab.kmemCacheCreate(name, size, options);
  }

  /** `kmem_cache_alloc`. */
  kmemCacheAlloc(cache: KmemCache, gfp: Gfp): VirtAddr | null {
    this.checkCache('kmemCacheAlloc', cache);
    const prev = this.vm.enterKernel(null);
    try {
      return cache.alloc(gfp);
    } finally {
      this.vm.leaveKernel(prev);
    }
  }

  /** `kmem_cache_free`. */
  kmemCacheFree(cache: KmemCache, obj: number): void {
    this.checkCache('kmemCacheFree', cache);
    cache.free(obj);
  }

  /** `kmem_cache_destroy`. */
  kmemCacheDestroy(cache: KmemCache): void {
    this.checkCache('kmemCacheDestroy', cache);
    cache.destroy();
  }

  /** Throws `KernelBug` unless `cache` is a live cache of this machine's slab allocator. */
  private checkCache(fn: string, cache: unknown): asserts cache is KmemCache {
    if (!this.slab.hasCache(cache)) {
      throw new KernelBug(`${fn}: ${describeValue(cache)} is not a live cache of this machine`);
    }
  }

  /** `kmalloc`: see {@link SlabLayer.kmalloc}. */
  kmalloc(size: number, gfp: Gfp): VirtAddr | null {
    const prev = this.vm.enterKernel(null);
    try {
      return this.slab.kmalloc(size, gfp);
    } finally {
      this.vm.leaveKernel(prev);
    }
  }

  /** `kzalloc`. */
  kzalloc(size: number, gfp: Gfp): VirtAddr | null {
    return this.inKernel(() => kzallocOn(this.slab, size, gfp));
  }

  /** `kcalloc`. */
  kcalloc(n: number, size: number, gfp: Gfp): VirtAddr | null {
    return this.inKernel(() => kcallocOn(this.slab, this, n, size, gfp));
  }

  /** `krealloc`. */
  krealloc(ptr: number | null, size: number, gfp: Gfp): VirtAddr | null {
    return this.inKernel(() => kreallocOn(this.slab, this, ptr, size, gfp));
  }

  /** `kfree`. */
  kfree(ptr: number | null): void {
    this.slab.kfree(ptr);
  }

  /** `ksize`. */
  ksize(ptr: number): number {
    return this.slab.ksize(ptr);
  }

  /**
   * Which kmalloc cache served `ptr`: its name (`'kmalloc-128'` for
   * `kmalloc(100)`), or `null` when no cache did (`ZERO_SIZE_PTR`, a large
   * kmalloc from the page allocator, SLOB's kmalloc blocks, or a slab
   * allocator of your own without `kmallocCacheName`).
   *
   * @throws KernelBug for a pointer kmalloc never returned, as `ksize` does.
   */
  kmallocCacheName(ptr: number): string | null {
    if (this.slab.kmallocCacheName !== undefined) return this.slab.kmallocCacheName(ptr);
    this.slab.ksize(ptr);
    return null;
  }

  // --- kernel-mode memory access -------------------------------------------

  /** Reads `len` bytes at a kernel (direct-map) address. */
  read(kva: number, len: number): Uint8Array {
    checkCount('read', 'length', len);
    return this.memory.read(this.kernelPhys('read', kva, len), len);
  }

  /** Writes bytes at a kernel (direct-map) address. */
  write(kva: number, bytes: Uint8Array | readonly number[]): void {
    checkByteArray('write', bytes);
    this.memory.write(this.kernelPhys('write', kva, bytes.length), bytes);
  }

  /** The byte at a kernel address. */
  load8(kva: number): number {
    return this.memory.load8(this.kernelPhys('load8', kva, 1));
  }

  /** The 16-bit value at a kernel address. */
  load16(kva: number): number {
    return this.memory.load16(this.kernelPhys('load16', kva, 2));
  }

  /** The 32-bit value at a kernel address. */
  load32(kva: number): number {
    return this.memory.load32(this.kernelPhys('load32', kva, 4));
  }

  /** Stores a byte at a kernel address. */
  store8(kva: number, value: number): void {
    checkStoreValue('store8', value, 8);
    this.memory.store8(this.kernelPhys('store8', kva, 1), value);
  }

  /** Stores 16 bits at a kernel address. */
  store16(kva: number, value: number): void {
    checkStoreValue('store16', value, 16);
    this.memory.store16(this.kernelPhys('store16', kva, 2), value);
  }

  /** Stores 32 bits at a kernel address. */
  store32(kva: number, value: number): void {
    checkStoreValue('store32', value, 32);
    this.memory.store32(this.kernelPhys('store32', kva, 4), value);
  }

  /**
   * `kmap`: a kernel address for any frame. HighMem frames (i386 above
   * 896 MiB) get a temporary one in the persistent kmap area until
   * `kunmap`; other frames return their direct-map address.
   */
  kmap(pfn: number): VirtAddr {
    this.memMap.checkPfn('kmap', pfn);
    return this.pkmap.kmap(pfn);
  }

  /** `kunmap`: ends a `kmap`. */
  kunmap(pfn: number): void {
    this.memMap.checkPfn('kunmap', pfn);
    this.pkmap.kunmap(pfn);
  }

  /**
   * The physical address behind `[kva, kva + len)`, which must lie in the
   * direct map or a live kmap (a kernel access elsewhere is an oops:
   * `KernelBug`).
   */
  private kernelPhys(fn: string, kva: number, len: number): number {
    if (typeof kva !== 'number' || !Number.isInteger(kva)) {
      throw new KernelBug(`${fn}: kernel address ${showAddress(kva)} is not an integer`);
    }
    const kmapped = this.pkmap.physOf(kva);
    if (kmapped >= 0 && this.pkmap.physOf(kva + len - 1) === kmapped + len - 1) return kmapped;
    const write = fn.startsWith('store') || fn === 'write';
    // Through the kernel's page tables and the TLB, as the CPU would go.
    const pa = this.vm.kernelTranslate(kva, write);
    const inPage = kva - Math.floor(kva / this.PAGE_SIZE) * this.PAGE_SIZE;
    const crosses = inPage + len > this.PAGE_SIZE;
    if (pa < 0 || (crosses && this.vm.kernelTranslate(kva + len - 1, write) !== pa + len - 1)) {
      throw new KernelBug(
        `${fn}: BUG: unable to handle page fault for address ${formatAddress(kva)}`,
      );
    }
    return pa;
  }

  // --- addresses ---------------------------------------------------------

  /** `__va`: the direct-map address of a physical address. */
  physToVirt(pa: number): VirtAddr {
    this.checkPhys('physToVirt', pa);
    return physToVirt(this.arch, pa);
  }

  /** `__pa`: the physical address behind a direct-map address. */
  virtToPhys(va: number): PhysAddr {
    const pa = virtToPhys(this.arch, va);
    this.checkPhys('virtToPhys', pa);
    return pa;
  }

  /** `virt_to_page`: the frame behind a direct-map address. */
  virtToPage(va: number): Pfn {
    return physToPfn(this.arch, this.virtToPhys(va));
  }

  /**
   * `page_address`: the direct-map address of a frame, or `null` for a
   * HighMem frame, which has no permanent kernel mapping.
   */
  pageAddress(pfn: number): VirtAddr | null {
    this.memMap.checkPfn('pageAddress', pfn);
    const pa = pfnToPhys(this.arch, pfn);
    return inDirectMap(this.arch, pa) ? physToVirt(this.arch, pa) : null;
  }

  private checkPhys(fn: string, pa: number): void {
    if (!(Number.isInteger(pa) && pa >= 0 && pa < this.memory.size)) {
      throw new KernelBug(
        `${fn}: physical address ${showAddress(pa)} is outside RAM (0..${showAddress(this.memory.size - 1)})`,
      );
    }
  }

  // --- observability -----------------------------------------------------

  /**
   * Renders a /proc file in Linux's format: `/proc/meminfo`,
   * `/proc/vmstat`, `/proc/swaps`, `/proc/buddyinfo`, `/proc/zoneinfo`,
   * `/proc/pagetypeinfo`, `/proc/slabinfo`, `/proc/uptime`, the tunables
   * under `/proc/sys/vm` (see {@link sysctl}), and for each live process
   * `/proc/<pid>/maps`, `smaps`, `status`, `oom_score` and `oom_score_adj`.
   * `/proc/self/...` names the process whose system call is running; from
   * outside any, as from a kernel thread, it does not exist.
   * `/proc/<pid>/pagemap` is binary and as large as user space, so its
   * text here lists the entries that are not zero, one line per page:
   * `<address> <entry>` in 16-digit hex, the entry being the 64-bit value
   * the binary file holds for that page (decode it with
   * `decodePagemapEntry(BigInt('0x' + entry))`). Read the binary file by
   * position with {@link procRead}, or decoded with `readPagemap`.
   *
   * @throws KernelError `ENOENT` for a path mmsim does not render, `EISDIR`
   *   for a directory.
   *
   * @example
   * ```ts
   * k.proc('/proc/meminfo');
   * k.proc(`/proc/${p.pid}/oom_score`); // '666\n'
   * ```
   */
  proc(path: string): string {
    return this.procfs.readText(path);
  }

  /**
   * A positioned read of a /proc file, as pread(2) by root: up to `length`
   * bytes from `offset` (to the end of the file when `length` is omitted;
   * at most 16 MiB at once, a short read). `/proc/<pid>/pagemap` is read
   * this way: 8 bytes per page, the entry of `va` at `(va / PAGE_SIZE) * 8`,
   * offset and length multiples of 8, and frame numbers shown.
   *
   * @throws KernelError `ENOENT`, `EISDIR` as {@link proc}; `EINVAL` for a
   *   bad offset or length, or a pagemap read without a length or not in
   *   whole entries.
   *
   * @example
   * ```ts
   * const bytes = k.procRead(`/proc/${p.pid}/pagemap`, (va / k.PAGE_SIZE) * 8, 8);
   * const entry = decodePagemapEntry(new DataView(bytes.buffer).getBigUint64(0, true));
   * ```
   */
  procRead(path: string, offset = 0, length?: number): Uint8Array {
    return this.procfs.read(path, offset, length);
  }

  /**
   * Writes `text` to a /proc file as root (`echo text > path`) and returns
   * the characters consumed: a tunable under `/proc/sys/vm` (validated as
   * its Linux handler validates it) or `/proc/<pid>/oom_score_adj`.
   *
   * @throws KernelError `EINVAL` (or `ERANGE`) for a value the file
   *   refuses, changing nothing; `ENOENT` for no such file; `EACCES` for a
   *   file that cannot be written.
   *
   * @example
   * ```ts
   * k.writeProc('/proc/sys/vm/swappiness', '100\n');
   * k.writeProc(`/proc/${p.pid}/oom_score_adj`, '-1000'); // never chosen by the OOM killer
   * ```
   */
  writeProc(path: string, text: string): number {
    return this.procfs.write(path, text);
  }

  /**
   * `sysctl` as root: reads a tunable (`k.sysctl('vm.swappiness')`) or
   * writes it and returns the value now set (`k.sysctl('vm.swappiness',
   * 100)`). Names as `sysctl(8)` takes them, with dots or slashes
   * (`vm.max_map_count`, `vm/max_map_count`); a value is a number or the
   * text a write of the /proc/sys file would give (`'0x10'`). The tunables
   * (`vm.overcommit_memory`, `overcommit_ratio`, `overcommit_kbytes`,
   * `admin_reserve_kbytes`, `user_reserve_kbytes`, `swappiness`,
   * `min_free_kbytes`, `watermark_scale_factor`, `max_map_count`,
   * `page-cluster`, `mmap_min_addr`, `oom_dump_tasks`,
   * `oom_kill_allocating_task`) apply at once.
   *
   * @throws KernelError `ENOENT` for an unknown name; `EINVAL` for a value
   *   out of range or malformed, in which case nothing changes.
   *
   * @example
   * ```ts
   * k.sysctl('vm.overcommit_memory', 2); // strict accounting: see CommitLimit in /proc/meminfo
   * k.sysctl('vm.max_map_count');        // 65530
   * ```
   */
  sysctl(name: string, value?: number | string): number {
    return sysctl(this.vm, name, value);
  }

  /**
   * Checks every invariant the layers keep and throws `KernelBug` naming
   * the first one broken; returns nothing when all hold.
   */
  checkInvariants(): void {
    checkBuddyInvariants(this.buddy);
    this.slab.checkInvariants();
    checkVmInvariants(this.vm);
    checkReclaimInvariants(this.vm, this.swap);
  }
}

/**
 * Calls a `slab` boot option's factory and checks what it returns, so that
 * a bad allocator is refused at boot, naming what is wrong.
 */
function buildSlab(
  factory: SlabFactory,
  buddy: BuddyAllocator,
  options: SlabAllocatorOptions,
): SlabLayer {
  let built: unknown;
  try {
    built = factory(buddy, options);
  } catch (e) {
    const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new KernelError('EINVAL', `Kernel.boot: slab: the factory threw ${why}`);
  }
  const problem = slabLayerProblem(built);
  if (problem !== null) {
    throw new KernelError(
      'EINVAL',
      `Kernel.boot: slab: the factory did not return a slab allocator (SlabLayer): ${problem}`,
    );
  }
  return built as SlabLayer;
}

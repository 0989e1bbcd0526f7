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
import { BuddyAllocator } from './buddy/buddy-allocator.js';
import { checkBuddyInvariants } from './buddy/invariants.js';
import type { Memblock } from './buddy/memblock.js';
import { BUDDY_PROC_FILES } from './buddy/proc/index.js';
import type { Zone } from './buddy/zone.js';
import { __GFP_HIGHMEM, type Gfp } from './gfp/flags.js';
import {
  formatAddress,
  inDirectMap,
  type Pfn,
  type PhysAddr,
  pfnToPhys,
  physToPfn,
  physToVirt,
  type VirtAddr,
  virtToPhys,
} from './page/address.js';
import { type Arch, getArch } from './page/arch.js';
import { KernelBug, KernelError } from './page/errors.js';
import { KernelLog, LogLevel } from './page/kernel-log.js';
import type { MemMap } from './page/mem-map.js';
import { PhysicalMemory } from './page/physical-memory.js';
import { VmEvents } from './page/vm-events.js';
import { createSlabAllocator } from './slab/create.js';
import type { KmemCache, KmemCacheOptions } from './slab/kmem-cache.js';
import { renderSlabinfo } from './slab/proc-slabinfo.js';
import type { SlabAllocatorBase } from './slab/slab-common.js';
import { pageCacheHooks } from './vm/fs/coherence.js';
import { SimDisk } from './vm/fs/disk.js';
import { Vfs } from './vm/fs/vfs.js';
import { Pkmap } from './vm/highmem.js';
import { checkVmInvariants } from './vm/invariants.js';
import { renderProcessFile } from './vm/proc/index.js';
import { meminfoValues, pageStatSnapshot, vmstatValues } from './vm/proc/mem-stats.js';
import { renderMeminfo } from './vm/proc/meminfo.js';
import { renderVmstat } from './vm/proc/vmstat.js';
import type { Process } from './vm/process.js';
import { checkReclaimInvariants } from './vm/reclaim/invariants.js';
import { createPolicy } from './vm/reclaim/policy/policy.js';
import { ReclaimSystem, type Shrinker } from './vm/reclaim/reclaim.js';
import { SwapSystem } from './vm/reclaim/swap.js';
import { renderSwaps, SwapArea } from './vm/swap/swap-area.js';
import { FileSwapStore, SimSwapStore, type SwapStore } from './vm/swap/swap-store.js';
import { VmSystem } from './vm/vm-system.js';

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
  /** The slab allocator (`slab` boot option). */
  readonly slab: SlabAllocatorBase;
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
  /** Simulated time since boot, in nanoseconds; advanced by the machine, never by the host clock. */
  private uptimeNs = 0;

  private constructor(config: BootConfig) {
    this.config = config;
    this.arch = getArch(config.arch);
    this.PAGE_SIZE = this.arch.pageSize;
    this.PAGE_SHIFT = this.arch.pageShift;
    this.log = new KernelLog(() => this.uptimeNs);
    this.events = new VmEvents();
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
    this.slab = createSlabAllocator(config.slab, this.buddy, {
      failslab: config.failslab,
      slubDebug: config.slubDebug,
    });
    this.vm = new VmSystem(this.buddy);
    this.pkmap = new Pkmap(this.arch);
    this.vfs = new Vfs(new SimDisk(this.arch.pageSize));
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
    this.buddy.freePages(pfn, order);
  }

  /**
   * `__get_free_pages`: like `allocPages`, but returns the block's kernel
   * virtual address, or 0 on failure. `__GFP_HIGHMEM` is ignored, since a
   * HighMem frame has no permanent address.
   */
  getFreePages(gfp: Gfp, order: number): VirtAddr | 0 {
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

  /** A new process with a fresh address space: an empty brk heap and a `[stack]`. */
  spawn(options: { readonly name?: string } = {}): Process {
    return this.vm.spawn(options.name ?? 'init');
  }

  /** Live processes by pid. */
  get processes(): ReadonlyMap<number, Process> {
    return this.vm.processes;
  }

  // --- slab ------------------------------------------------------------------

  /** `kmem_cache_create`: see {@link SlabAllocatorBase.kmemCacheCreate}. */
  kmemCacheCreate(name: string, size: number, options: KmemCacheOptions = {}): KmemCache {
    return this.slab.kmemCacheCreate(name, size, options);
  }

  /** `kmem_cache_alloc`. */
  kmemCacheAlloc(cache: KmemCache, gfp: Gfp): VirtAddr | null {
    const prev = this.vm.enterKernel(null);
    try {
      return cache.alloc(gfp);
    } finally {
      this.vm.leaveKernel(prev);
    }
  }

  /** `kmem_cache_free`. */
  kmemCacheFree(cache: KmemCache, obj: number): void {
    cache.free(obj);
  }

  /** `kmem_cache_destroy`. */
  kmemCacheDestroy(cache: KmemCache): void {
    cache.destroy();
  }

  /** `kmalloc`: see {@link SlabAllocatorBase.kmalloc}. */
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
    return this.inKernel(() => this.slab.kzalloc(size, gfp));
  }

  /** `kcalloc`. */
  kcalloc(n: number, size: number, gfp: Gfp): VirtAddr | null {
    return this.inKernel(() => this.slab.kcalloc(n, size, gfp));
  }

  /** `krealloc`. */
  krealloc(ptr: number | null, size: number, gfp: Gfp): VirtAddr | null {
    return this.inKernel(() => this.slab.krealloc(ptr, size, gfp));
  }

  /** `kfree`. */
  kfree(ptr: number | null): void {
    this.slab.kfree(ptr);
  }

  /** `ksize`. */
  ksize(ptr: number): number {
    return this.slab.ksize(ptr);
  }

  // --- kernel-mode memory access -------------------------------------------

  /** Reads `len` bytes at a kernel (direct-map) address. */
  read(kva: number, len: number): Uint8Array {
    return this.memory.read(this.kernelPhys('read', kva, len), len);
  }

  /** Writes bytes at a kernel (direct-map) address. */
  write(kva: number, bytes: ArrayLike<number>): void {
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
    this.memory.store8(this.kernelPhys('store8', kva, 1), value);
  }

  /** Stores 16 bits at a kernel address. */
  store16(kva: number, value: number): void {
    this.memory.store16(this.kernelPhys('store16', kva, 2), value);
  }

  /** Stores 32 bits at a kernel address. */
  store32(kva: number, value: number): void {
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
    const kmapped = this.pkmap.physOf(kva);
    if (kmapped >= 0 && this.pkmap.physOf(kva + len - 1) === kmapped + len - 1) return kmapped;
    const write = fn.startsWith('store') || fn === 'write';
    // Through the kernel's page tables and the TLB, as the CPU would go.
    const pa = this.vm.kernelTranslate(kva, write);
    const inPage = kva - Math.floor(kva / this.PAGE_SIZE) * this.PAGE_SIZE;
    const crosses = inPage + len > this.PAGE_SIZE;
    if (pa < 0 || (crosses && this.vm.kernelTranslate(kva + len - 1, write) !== pa + len - 1)) {
      throw new KernelBug(
        `${fn}: BUG: unable to handle page fault for address ${Number.isInteger(kva) ? formatAddress(kva) : String(kva)}`,
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
        `${fn}: physical address ${pa} is outside RAM (0..${this.memory.size - 1})`,
      );
    }
  }

  // --- observability -----------------------------------------------------

  /**
   * Renders a /proc file in Linux's format: `/proc/meminfo`,
   * `/proc/vmstat`, `/proc/swaps`, `/proc/buddyinfo`, `/proc/zoneinfo`,
   * `/proc/pagetypeinfo`, `/proc/slabinfo`, and for each
   * live process `/proc/<pid>/maps`, `smaps` and `status`.
   *
   * @throws KernelError `ENOENT` for a path mmsim does not render.
   */
  proc(path: string): string {
    if (path === '/proc/slabinfo') return renderSlabinfo(this.slab.caches);
    const sources = { buddy: this.buddy, vm: this.vm, caches: this.slab.caches, swap: this.swap };
    if (path === '/proc/meminfo') return renderMeminfo(meminfoValues(sources));
    if (path === '/proc/vmstat') return renderVmstat(vmstatValues(sources));
    if (path === '/proc/swaps') return renderSwaps(this.swap === null ? [] : [this.swap.area]);
    const perProcess = renderProcessFile(this.vm.processes, path);
    if (perProcess !== null) return perProcess;
    const render = Object.hasOwn(BUDDY_PROC_FILES, path) ? BUDDY_PROC_FILES[path] : undefined;
    if (render === undefined)
      throw new KernelError('ENOENT', `proc: no such file ${JSON.stringify(path)}`);
    return render(this.buddy);
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

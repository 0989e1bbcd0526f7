/**
 * The virtual-memory subsystem of a machine: what every address space
 * shares (the page-table geometry, the kernel's own mappings, the zero
 * page, one TLB per CPU, address-space ids) and the bookkeeping of pages
 * mapped into user space (map and reference counts, RSS counters).
 */
import type { BuddyAllocator } from '../buddy/buddy-allocator.js';
import { __GFP_NOFAIL, __GFP_ZERO, GFP_KERNEL } from '../gfp/flags.js';
import { showAddress } from '../page/address.js';
import type { Arch } from '../page/arch.js';
import { KernelBug, KernelError, type SegmentationFault } from '../page/errors.js';
import { PG } from '../page/page-flags.js';
import type { PhysicalMemory } from '../page/physical-memory.js';
import { AddressSpace } from './address-space.js';
import { handleFault } from './fault.js';
import type { SpecialFile } from './fs/special-file.js';
import type { Vfs } from './fs/vfs.js';
import { programPath, setupLayout } from './layout.js';
import { PageMlock } from './page-mlock.js';
import { allocTable, buildKernelMappings, PageTableGeometry } from './page-table.js';
import { Process } from './process.js';
import type { SwapEntry } from './pte.js';
import { type LruLists, lruOf } from './reclaim/lru.js';
import { AnonVma } from './reclaim/rmap.js';
import { Tlb } from './tlb.js';
import { type SharedAnon, VM_LOCKED, type Vma } from './vma.js';

/**
 * What the swap layer provides to page faults and page-table teardown
 * (reclaim/swap.ts implements it when swap is configured). Without swap no
 * PTE or shmem object holds a swap entry, and these are never called.
 */
export interface SwapHooks {
  /** Pages of swap (`total_swap_pages`): what overcommit and the OOM killer count. */
  readonly totalSlots: number;
  /** `do_swap_page`: brings the page back and maps it at `slot`; 0, or the signal to deliver. */
  swapIn(
    mm: AddressSpace,
    vma: Vma,
    va: number,
    slot: number,
    entry: SwapEntry,
    write: boolean,
  ): 0 | SegmentationFault;
  /** `swap_duplicate`: fork copied a PTE holding the entry. */
  duplicate(entry: SwapEntry): void;
  /** `free_swap_and_cache`: a PTE holding the entry was cleared. */
  free(entry: SwapEntry): void;
  /** Reads swapped-out offset `index` of a shmem object back; its frame, or -1 when memory is out. */
  shmemSwapIn(shared: SharedAnon, index: number): number;
  /** A shmem object dropped swapped-out offset `index`. */
  shmemFree(shared: SharedAnon, index: number): void;
  /**
   * `swapin_readahead` for MADV_WILLNEED: reads the page of `entry`, held
   * by the PTE of `va` in `vma`, into the swap cache without mapping it.
   * Returns false when memory is short (nothing changes).
   */
  readahead(mm: AddressSpace, vma: Vma, va: number, entry: SwapEntry): boolean;
  /**
   * Whether the page of swap entry `entry` is in the swap cache, up to
   * date (`swap_cache_get_folio` for mincore). False for an entry of no
   * area or a free slot.
   */
  inSwapCache(entry: SwapEntry): boolean;
  /** Whether swapped-out offset `index` of a shmem object is in the swap cache (mincore). */
  shmemInSwapCache(shared: SharedAnon, index: number): boolean;
}

const NO_SWAP: SwapHooks = {
  totalSlots: 0,
  swapIn(_mm, _vma, va) {
    throw new KernelBug(`handleFault: a swap entry at ${showAddress(va)} with no swap configured`);
  },
  duplicate() {
    throw new KernelBug('dupMmap: a swap entry with no swap configured');
  },
  free() {
    throw new KernelBug('zapRange: a swap entry with no swap configured');
  },
  shmemSwapIn() {
    throw new KernelBug('shmem fault: a swapped-out page with no swap configured');
  },
  shmemFree() {},
  readahead() {
    throw new KernelBug('madvise: a swap entry with no swap configured');
  },
  inSwapCache() {
    return false;
  },
  shmemInSwapCache() {
    return false;
  },
};

/**
 * What reclaim (reclaim/reclaim.ts) offers the rest of the VM layer: the
 * work it defers to the way back to user space (kswapd, the OOM reaper),
 * and reclaim of chosen pages for MADV_PAGEOUT.
 */
export interface DeferredWork {
  /** Runs whatever is pending; cheap when nothing is. */
  run(): void;
  /** `reclaim_pages`: reclaims the given pages whatever their references; returns how many were freed. */
  reclaimPages(pfns: readonly number[]): number;
}

/**
 * What opens /proc files for the system calls (proc/procfs.ts implements
 * it; the kernel wires it in at boot): `open` of a path under /proc gives
 * a special file whose reads the /proc code produces.
 */
export interface ProcOpener {
  /** Whether `path` is a /proc path (the opener answers for it, existing or not). */
  handles(path: string): boolean;
  /** `open(path, flags)` by `opener` (`current`, whom /proc/self names): the open file, or -errno. */
  open(path: string, flags: number, opener: Process): SpecialFile | number;
}

/** Which RSS counter a mapped page counts in. */
export type RssKind = 'anon' | 'file' | 'shmem';

/** The VM subsystem. */
export class VmSystem {
  readonly arch: Arch;
  readonly memory: PhysicalMemory;
  readonly geo: PageTableGeometry;
  /** Top-level entries of the kernel's mappings, copied into every PGD. */
  readonly kernelTop: readonly { index: number; lo: number; hi: number }[];
  /** The shared zero page (`empty_zero_page`). */
  readonly zeroPfn: number;
  /** One TLB per CPU. */
  readonly tlbs: readonly Tlb[];
  /** The kernel's own address space (`init_mm`, rooted at `swapper_pg_dir`): kernel mappings only. */
  readonly initMm: AddressSpace;
  /** Live processes by pid. */
  readonly processes = new Map<number, Process>();
  /** The swap layer's hooks (none until swap is configured). */
  swap: SwapHooks = NO_SWAP;
  /** The file system processes open files on (the kernel attaches it); null for none. */
  vfs: Vfs | null = null;
  /** The LRU lists every user page is on. */
  readonly lru: LruLists;
  /** PG_mlocked, the pages' mlock counts and NR_MLOCK (mm/mlock.c's page side). */
  readonly mlock: PageMlock;
  /** Messages printed once per boot (`pr_warn_once`), by a key the caller picks. */
  readonly warnedOnce = new Set<string>();
  /** anon_vmas by id: the address spaces each group of anonymous pages may be mapped in. */
  readonly anonVmas = new Map<number, AnonVma>();
  /** Every user address space, live or being built by fork (the rmap walks them). */
  readonly addressSpaces = new Set<AddressSpace>();
  /** Shared anonymous (shmem) objects by id, while any VMA maps them. */
  readonly shmemObjects = new Map<number, SharedAnon>();
  /** The process whose system call or fault is running (`current`), or null. */
  current: Process | null = null;
  /** Work for the way back to user space (set by the kernel when reclaim is wired in). */
  deferredWork: DeferredWork | null = null;
  /** The /proc tree system calls open files in (set by the kernel at boot); null for none. */
  procfs: ProcOpener | null = null;
  private kernelDepth = 0;
  private nextAnonVma = 1;
  private nextAsid = 1;
  private nextPid = 1;
  private readonly pgfaultSlot: number;

  constructor(readonly buddy: BuddyAllocator) {
    this.arch = buddy.arch;
    this.memory = buddy.memory;
    this.geo = new PageTableGeometry(buddy.arch, buddy.memory);
    this.kernelTop = buildKernelMappings(this.geo, buddy);
    // The zero page is part of the kernel image in Linux: it never fails.
    this.zeroPfn = buddy.allocPages(GFP_KERNEL | __GFP_ZERO | __GFP_NOFAIL, 0) as number;
    this.tlbs = Array.from({ length: buddy.cpus }, () => new Tlb());
    this.lru = lruOf(buddy);
    this.mlock = new PageMlock(buddy, this.lru);
    buddy.lruRelease = (pfn) => {
      this.mlock.released(pfn);
      this.lru.release(pfn);
    };
    const initMm = this.newAddressSpace(__GFP_NOFAIL); // swapper_pg_dir is static in Linux
    if (initMm === null) throw new KernelError('ENOMEM', 'boot: no memory for swapper_pg_dir');
    this.initMm = initMm;
    this.addressSpaces.delete(initMm); // kernel mappings only: nothing for the rmap there
    this.pgfaultSlot = buddy.events.register('pgfault');
    buddy.events.register('pgmajfault');
  }

  /**
   * A new, empty address space whose PGD shares the kernel's mappings; null
   * when memory is out. Its anonymous pages belong to `anonVma` (fork
   * passes the parent's), or to a new anon_vma.
   */
  newAddressSpace(extraGfp = 0, anonVma?: AnonVma): AddressSpace | null {
    const pgd = allocTable(this.buddy, extraGfp);
    if (pgd < 0) return null;
    for (const e of this.kernelTop) this.geo.write(this.geo.slot(pgd, e.index), e.lo, e.hi);
    let av = anonVma;
    if (av === undefined) {
      av = new AnonVma(this.nextAnonVma++);
      this.anonVmas.set(av.id, av);
    }
    const mm = new AddressSpace(this, pgd, this.nextAsid++, av);
    av.mms.add(mm);
    this.addressSpaces.add(mm);
    return mm;
  }

  /** An address space is gone (`exit_mmap` done): the rmap forgets it. */
  forgetAddressSpace(mm: AddressSpace): void {
    this.addressSpaces.delete(mm);
    const av = mm.anonVma;
    av.mms.delete(mm);
    if (av.mms.size === 0) this.anonVmas.delete(av.id);
  }

  /**
   * Enters the kernel on behalf of `process` (a system call or a fault):
   * it becomes `current`. Returns what to hand to {@link leaveKernel}.
   */
  enterKernel(process: Process | null): Process | null {
    const prev = this.current;
    if (process !== null) this.current = process;
    this.kernelDepth++;
    return prev;
  }

  /**
   * Leaves the kernel. On the way out of the outermost entry, deferred work
   * runs: kswapd if it was woken, the OOM killer's teardown of a victim
   * that was busy when chosen.
   */
  leaveKernel(prev: Process | null): void {
    this.current = prev;
    if (--this.kernelDepth === 0 && this.deferredWork !== null) {
      this.kernelDepth++;
      try {
        this.deferredWork.run();
      } finally {
        this.kernelDepth--;
      }
    }
  }

  /**
   * A new process with a fresh address space laid out as an executable's:
   * text, data, an empty brk heap, the stack. It starts with init's
   * resource limits and no capability unless `privileges` grants
   * CAP_IPC_LOCK or CAP_SYS_RESOURCE.
   *
   * @throws KernelError `ENOMEM` when its page tables cannot be allocated.
   */
  spawn(name = 'init', privileges: SpawnPrivileges = {}): Process {
    const mm = this.newAddressSpace();
    if (mm === null) throw new KernelError('ENOMEM', 'spawn: out of memory for page tables');
    setupLayout(mm, this.arch, programPath(name));
    const process = this.registerProcess(name, mm, 0);
    process.capIpcLock = privileges.capIpcLock === true;
    process.capSysResource = privileges.capSysResource === true;
    return process;
  }

  /** Gives a new address space a pid and a process. */
  registerProcess(name: string, mm: AddressSpace, ppid: number): Process {
    const process = new Process(this, this.nextPid++, name, mm, ppid);
    mm.owner = process;
    this.processes.set(process.pid, process);
    return process;
  }

  /** Forgets a process that exited or was killed. */
  unregisterProcess(process: Process): void {
    this.processes.delete(process.pid);
  }

  /**
   * A kernel-mode access to `va` through the kernel's page tables and the
   * TLB (global entries); the physical address, or -1 when nothing maps it.
   */
  kernelTranslate(va: number, write: boolean): number {
    if (!Number.isInteger(va)) return -1;
    return this.initMm.translateKernel(va, write);
  }

  /** `flush_tlb_page` on every CPU. */
  flushPage(mm: AddressSpace, va: number): void {
    const vpn = Math.floor(va / this.arch.pageSize);
    for (const tlb of this.tlbs) tlb.flushPage(vpn, mm.asid);
  }

  /** `flush_tlb_mm` on every CPU. */
  flushMm(mm: AddressSpace): void {
    for (const tlb of this.tlbs) tlb.flushAsid(mm.asid);
  }

  /** The page-fault handler. */
  handleFault(mm: AddressSpace, va: number, write: boolean): 0 | SegmentationFault {
    return handleFault(this, mm, va, write);
  }

  /** Counts a fault (`pgfault`). */
  countFault(): void {
    this.buddy.events.add(this.pgfaultSlot, 1);
  }

  /**
   * A fault could not get memory (`VM_FAULT_OOM`, `pagefault_out_of_memory`):
   * the access fails with `KernelError` ENOMEM. When the OOM killer chose
   * the faulting process itself, the message says so; it is torn down on
   * the way out of the kernel.
   */
  outOfMemory(mm: AddressSpace, va: number): never {
    const owner = mm.owner;
    if (owner?.oomKilled) {
      throw new KernelError(
        'ENOMEM',
        `page fault at ${showAddress(va)}: process ${owner.pid} (${owner.name}) was killed by the OOM killer`,
      );
    }
    throw new KernelError('ENOMEM', `page fault at ${showAddress(va)}: out of memory`);
  }

  /**
   * A new anonymous page at `va` of `vma` (`folio_add_new_anon_rmap`): its
   * one reference and one mapping, swap-backed, with the reverse-map fields
   * (`mapping`: the VMA's anon object id; `index`: the page offset).
   */
  newAnonPage(mm: AddressSpace, vma: Vma, pfn: number, va: number): void {
    const m = this.buddy.memMap;
    m.mapcount[pfn] = 1;
    m.setFlag(pfn, PG.swapbacked);
    m.setFlag(pfn, PG.anon);
    m.mapping[pfn] = mm.anonVma.id;
    m.index[pfn] = (vma.pgoff + (va - vma.start) / this.arch.pageSize) >>> 0;
    mm.counters.anon++;
    mm.updateHiwater();
    this.addToLru(pfn, vma);
  }

  /**
   * `folio_add_lru_vma`: a new page of `vma`, mapped once, joins the
   * inactive list of its kind, or the unevictable list mlocked once when
   * `vma` is VM_LOCKED (`mlock_new_folio`). The page must be off the LRU.
   */
  addToLru(pfn: number, vma: Vma): void {
    if ((vma.flags & VM_LOCKED) !== 0) this.mlock.mlockNewFolio(pfn);
    else this.lru.add(pfn);
  }

  /**
   * Maps an existing page once more (fork, shared memory, the page cache,
   * swap-in): a reference and a mapping. A page mapped by a VM_LOCKED `vma`
   * gains an mlock (`mlock_vma_folio`, as the rmap calls it on each map).
   */
  mapPage(mm: AddressSpace, pfn: number, kind: RssKind, vma?: Vma): void {
    const m = this.buddy.memMap;
    m.getPage(pfn);
    m.mapcount[pfn] = (m.mapcount[pfn] as number) + 1;
    if (kind === 'shmem') m.setFlag(pfn, PG.swapbacked);
    mm.counters[kind]++;
    mm.updateHiwater();
    if (vma !== undefined && (vma.flags & VM_LOCKED) !== 0) this.mlock.mlockFolio(pfn);
  }

  /** `mlock_vma_folio`: one more VM_LOCKED mapping of the page (see page-mlock.ts). */
  mlockPage(pfn: number): void {
    this.mlock.mlockFolio(pfn);
  }

  /**
   * `munlock_vma_folio`: one VM_LOCKED mapping of the page fewer; the last
   * returns it to the inactive list of its kind (see page-mlock.ts).
   */
  munlockPage(pfn: number): void {
    this.mlock.munlockFolio(pfn);
  }

  /**
   * Drops a mapping of `vma` and its reference (`folio_remove_rmap_pte`);
   * the page is freed with its last reference. A mapping of a VM_LOCKED
   * `vma` gives up its mlock first (`munlock_vma_folio`).
   */
  unmapPage(mm: AddressSpace, pfn: number, kind: RssKind, vma?: Vma): void {
    const m = this.buddy.memMap;
    m.mapcount[pfn] = (m.mapcount[pfn] as number) - 1;
    mm.counters[kind]--;
    if (vma !== undefined && (vma.flags & VM_LOCKED) !== 0) this.mlock.munlockFolio(pfn);
    // The page keeps its flags and identity until it is freed: they say which LRU list it is on.
    this.buddy.freePages(pfn, 0);
  }
}

/** The capabilities `spawn` may grant (processes have none unless granted). */
export interface SpawnPrivileges {
  /** CAP_IPC_LOCK: memory locks ignore RLIMIT_MEMLOCK (as root's do). Inherited across fork. */
  readonly capIpcLock?: boolean;
  /** CAP_SYS_RESOURCE: hard resource limits may be raised. Inherited across fork. */
  readonly capSysResource?: boolean;
}

/**
 * The virtual-memory subsystem of a machine: what every address space
 * shares (the page-table geometry, the kernel's own mappings, the zero
 * page, one TLB per CPU, address-space ids) and the bookkeeping of pages
 * mapped into user space (map and reference counts, RSS counters).
 */
import type { BuddyAllocator } from '../buddy/buddy-allocator.js';
import { __GFP_NOFAIL, __GFP_ZERO, GFP_KERNEL } from '../gfp/flags.js';
import type { Arch } from '../page/arch.js';
import { KernelBug, KernelError, type SegmentationFault } from '../page/errors.js';
import { PG } from '../page/page-flags.js';
import type { PhysicalMemory } from '../page/physical-memory.js';
import { AddressSpace } from './address-space.js';
import { handleFault } from './fault.js';
import type { Vfs } from './fs/vfs.js';
import { setupLayout } from './layout.js';
import { allocTable, buildKernelMappings, PageTableGeometry } from './page-table.js';
import { Process } from './process.js';
import type { SwapEntry } from './pte.js';
import { Tlb } from './tlb.js';
import type { Vma } from './vma.js';

/**
 * What the swap layer provides to page faults and page-table teardown (the
 * reclaim issue builds it). Without swap no PTE holds a swap entry, and
 * these are never called.
 */
export interface SwapHooks {
  /** `do_swap_page`: brings the page back and maps it at `slot`; 0, or the signal to deliver. */
  swapIn(
    mm: AddressSpace,
    vma: Vma,
    va: number,
    slot: number,
    entry: SwapEntry,
  ): 0 | SegmentationFault;
  /** `swap_duplicate`: fork copied a PTE holding the entry. */
  duplicate(entry: SwapEntry): void;
  /** `free_swap_and_cache`: a PTE holding the entry was cleared. */
  free(entry: SwapEntry): void;
}

const NO_SWAP: SwapHooks = {
  swapIn(_mm, _vma, va) {
    throw new KernelBug(`handleFault: a swap entry at ${va} with no swap configured`);
  },
  duplicate() {
    throw new KernelBug('dupMmap: a swap entry with no swap configured');
  },
  free() {
    throw new KernelBug('zapRange: a swap entry with no swap configured');
  },
};

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
    const initMm = this.newAddressSpace(__GFP_NOFAIL); // swapper_pg_dir is static in Linux
    if (initMm === null) throw new KernelError('ENOMEM', 'boot: no memory for swapper_pg_dir');
    this.initMm = initMm;
    this.pgfaultSlot = buddy.events.register('pgfault');
    buddy.events.register('pgmajfault');
  }

  /** A new, empty address space whose PGD shares the kernel's mappings; null when memory is out. */
  newAddressSpace(extraGfp = 0): AddressSpace | null {
    const pgd = allocTable(this.buddy, extraGfp);
    if (pgd < 0) return null;
    for (const e of this.kernelTop) this.geo.write(this.geo.slot(pgd, e.index), e.lo, e.hi);
    return new AddressSpace(this, pgd, this.nextAsid++);
  }

  /**
   * A new process with a fresh address space laid out as an executable's:
   * text, data, an empty brk heap, the stack.
   *
   * @throws KernelError `ENOMEM` when its page tables cannot be allocated.
   */
  spawn(name = 'init'): Process {
    const mm = this.newAddressSpace();
    if (mm === null) throw new KernelError('ENOMEM', 'spawn: out of memory for page tables');
    setupLayout(mm, this.arch);
    return this.registerProcess(name, mm, 0);
  }

  /** Gives a new address space a pid and a process. */
  registerProcess(name: string, mm: AddressSpace, ppid: number): Process {
    const process = new Process(this, this.nextPid++, name, mm, ppid);
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
   * A fault could not get memory (`VM_FAULT_OOM`). Until reclaim and the OOM
   * killer exist the access fails with ENOMEM.
   */
  outOfMemory(va: number): never {
    throw new KernelError('ENOMEM', `page fault at ${va}: out of memory`);
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
    m.mapping[pfn] = mm.asid;
    m.index[pfn] = (vma.pgoff + (va - vma.start) / this.arch.pageSize) >>> 0;
    mm.counters.anon++;
    mm.updateHiwater();
  }

  /** Maps an existing page once more (fork, shared memory): a reference and a mapping. */
  mapPage(mm: AddressSpace, pfn: number, kind: RssKind): void {
    const m = this.buddy.memMap;
    m.getPage(pfn);
    m.mapcount[pfn] = (m.mapcount[pfn] as number) + 1;
    if (kind === 'shmem') m.setFlag(pfn, PG.swapbacked);
    mm.counters[kind]++;
    mm.updateHiwater();
  }

  /** Drops a mapping and its reference; the page is freed with its last reference. */
  unmapPage(mm: AddressSpace, pfn: number, kind: RssKind): void {
    const m = this.buddy.memMap;
    m.mapcount[pfn] = (m.mapcount[pfn] as number) - 1;
    mm.counters[kind]--;
    // A page cache page keeps its identity (mapping = the inode) for the cache's reference.
    if (kind !== 'file' && m.mapcount[pfn] === 0 && m.refcount[pfn] === 1) {
      m.clearFlag(pfn, PG.swapbacked);
      m.mapping[pfn] = 0;
    }
    this.buddy.freePages(pfn, 0);
  }
}

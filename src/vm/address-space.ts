/**
 * An address space (`struct mm_struct`): the VMAs, the page tables rooted
 * at the PGD, the layout (code, data, brk heap, mmap area, stack) and the
 * counters /proc/<pid>/status reports.
 *
 * User-mode access goes through `translate`: the CPU's TLB first (a few
 * typed-array reads), then a walk of the page tables that sets the accessed
 * and dirty bits as the MMU does, then, if the walk cannot complete the
 * access, the page-fault handler (fault.ts), and the access is retried.
 *
 * Page-table edits go through `setPte` and `clearPte`, which flush the
 * page from every CPU's TLB for this address space: no path can leave a
 * stale translation that grants more than the page tables do.
 */

import type { BuddyAllocator } from '../buddy/buddy-allocator.js';
import { showAddress } from '../page/address.js';
import { SegmentationFault } from '../page/errors.js';
import { allocTable, freeTable, isBlock, type PageTableGeometry } from './page-table.js';
import type { Process } from './process.js';
import { PTE_ACCESSED, PTE_DIRTY, PTE_GLOBAL, PTE_PRESENT, PTE_USER, PTE_WRITE } from './pte.js';
import type { AnonVma } from './reclaim/rmap.js';
import { TLB_GLOBAL, TLB_READ, TLB_USER, TLB_WRITE, type Tlb } from './tlb.js';
import type { VmSystem } from './vm-system.js';
import { VmaTree } from './vma-tree.js';

/** Counters of an address space, in pages unless named otherwise. */
export interface MmCounters {
  /** Resident anonymous pages (`MM_ANONPAGES`). */
  anon: number;
  /** Resident file pages (`MM_FILEPAGES`). */
  file: number;
  /** Resident shared anonymous (shmem) pages (`MM_SHMEMPAGES`). */
  shmem: number;
  /** Swapped-out pages (`MM_SWAPENTS`). */
  swap: number;
  /** Peak resident pages (`hiwater_rss`). */
  hiwaterRss: number;
  /** Peak virtual size in pages (`hiwater_vm`). */
  hiwaterVm: number;
  /** Page-table frames. */
  pgtables: number;
}

/** What the fault handler decided: retry the access, or deliver a signal. */
export type FaultResult = 0 | SegmentationFault;

/** A process's address space. */
export class AddressSpace {
  /** The VMAs. */
  readonly vmas = new VmaTree();
  /** Frame of the top-level table. */
  readonly pgd: number;
  /** Address-space id tagging this space's TLB entries. */
  readonly asid: number;
  /** End of user space. */
  readonly taskSize: number;
  startCode = 0;
  endCode = 0;
  startData = 0;
  endData = 0;
  /** Start of the brk heap. */
  startBrk = 0;
  /** The current program break. */
  brk = 0;
  /** Top of the initial stack. */
  startStack = 0;
  /** The process this address space belongs to (`mm->owner`); null while fork builds it. */
  owner: Process | null = null;
  /** Top of the mmap area (allocations go down from here). */
  mmapBase = 0;
  /** Pages of mapped virtual memory (`total_vm`). */
  totalVm = 0;
  /**
   * `def_flags`: VMA flags every new mapping and brk extension gets.
   * mlockall(MCL_FUTURE) sets VM_LOCKED here (and VM_LOCKONFAULT with
   * MCL_ONFAULT); munlockall clears them. Not inherited across fork.
   */
  defFlags = 0;
  /**
   * Pages `locked_vm` still counts for the source of a MREMAP_DONTUNMAP
   * move of a locked mapping: Linux 6.18 adds the new mapping's pages but
   * never takes the old one's off (measured), so VmLck stays that much
   * higher until exit. VmLck is the VM_LOCKED VMAs' pages plus these.
   */
  lockedVmStale = 0;
  readonly counters: MmCounters = {
    anon: 0,
    file: 0,
    shmem: 0,
    swap: 0,
    hiwaterRss: 0,
    hiwaterVm: 0,
    pgtables: 0,
  };
  private readonly geo: PageTableGeometry;
  private readonly pageSize: number;
  /** `vm.tlbs` and `vm.buddy`, held directly: the TLB-hit path reads nothing it need not. */
  private readonly tlbs: readonly Tlb[];
  private readonly buddy: BuddyAllocator;

  constructor(
    /** The VM subsystem this space belongs to. */
    readonly vm: VmSystem,
    pgd: number,
    asid: number,
    /** The anon_vma of the anonymous pages faulted in here (shared with the fork tree). */
    readonly anonVma: AnonVma,
  ) {
    this.geo = vm.geo;
    this.pageSize = vm.arch.pageSize;
    this.tlbs = vm.tlbs;
    this.buddy = vm.buddy;
    this.taskSize = vm.arch.taskSize;
    this.pgd = pgd;
    this.asid = asid;
    this.counters.pgtables = 1;
  }

  /** Resident pages (`get_mm_rss`). */
  get rss(): number {
    return this.counters.anon + this.counters.file + this.counters.shmem;
  }

  /** Records a new resident peak. */
  updateHiwater(): void {
    if (this.rss > this.counters.hiwaterRss) this.counters.hiwaterRss = this.rss;
    if (this.totalVm > this.counters.hiwaterVm) this.counters.hiwaterVm = this.totalVm;
  }

  // --- page tables ----------------------------------------------------------

  /**
   * The physical address of the PTE slot for `va`, allocating missing
   * tables when `alloc` (-1 when memory is out); without `alloc`, -1 when a
   * table is missing.
   */
  pteSlot(va: number, alloc: boolean): number {
    const geo = this.geo;
    const fmt = geo.format;
    let table = this.pgd;
    for (let level = 0; level < geo.levels - 1; level++) {
      const slot = geo.slot(table, geo.index(va, level));
      const lo = geo.readLo(slot);
      const hi = geo.readHi(slot);
      if (fmt.present(lo, hi)) {
        if (isBlock(geo, lo)) return -1; // a kernel block mapping: no user PTE here
        table = fmt.pfn(lo, hi);
        continue;
      }
      if (!alloc) return -1;
      const next = allocTable(this.vm.buddy);
      if (next < 0) return -1;
      this.counters.pgtables++;
      // User tables are user-accessible and writable at every level; the leaf decides.
      geo.write(
        slot,
        fmt.lo(next, PTE_WRITE | PTE_USER | PTE_ACCESSED, false),
        fmt.hi(next, PTE_WRITE | PTE_USER, false),
      );
      table = next;
    }
    return geo.slot(table, geo.index(va, geo.levels - 1));
  }

  /** Installs a PTE mapping `pfn` at `va` with abstract `flags`, and flushes the page from the TLBs. */
  setPte(slot: number, va: number, pfn: number, flags: number): void {
    const fmt = this.geo.format;
    this.geo.write(slot, fmt.lo(pfn, flags, true), fmt.hi(pfn, flags, true));
    this.vm.flushPage(this, va);
  }

  /** Clears a PTE and flushes the page from the TLBs. */
  clearPte(slot: number, va: number): void {
    this.geo.write(slot, 0, 0);
    this.vm.flushPage(this, va);
  }

  // --- user-mode access (the MMU) ---------------------------------------------

  /**
   * The physical address a user-mode access to `va` reaches, faulting pages
   * in as needed. Throws `SegmentationFault` when the kernel would send a
   * signal.
   */
  translate(va: number, write: boolean): number {
    const tlb = this.tlbs[this.buddy.cpu] as Tlb;
    // `&` below takes the low 32 bits of the page number exactly; `%` on a
    // double would call fmod. A fraction has a fractional offset and is sent
    // to the miss path, which refuses it (NaN and the infinities match no
    // entry): a non-integer never reaches the physical layer. The offset test
    // is on a small number, so it costs the hit path next to nothing.
    const pageSize = this.pageSize;
    const vpn = Math.floor(va / pageSize);
    const offset = va - vpn * pageSize;
    const i = vpn & tlb.mask;
    if (tlb.vpn[i] === vpn && tlb.asid[i] === this.asid) {
      const perm = tlb.perm[i] as number;
      const need = TLB_USER | (write ? TLB_WRITE : TLB_READ);
      if ((perm & need) === need && (offset | 0) === offset) {
        tlb.hits++;
        return (tlb.frame[i] as number) + offset;
      }
    }
    tlb.misses++;
    return this.walkAndFault(va, vpn, write);
  }

  private walkAndFault(va: number, vpn: number, write: boolean): number {
    if (!(va >= 0 && va < this.taskSize && Number.isInteger(va))) {
      throw this.badAddress(va);
    }
    const vm = this.vm;
    const prev = vm.enterKernel(this.owner);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const pa = this.walk(va, vpn, write);
        if (pa >= 0) return pa;
        const result = vm.handleFault(this, va, write);
        if (result !== 0) throw result;
      }
    } finally {
      vm.leaveKernel(prev);
    }
    throw new SegmentationFault(
      'SIGSEGV',
      'SEGV_ACCERR',
      va,
      `fault on ${showAddress(va)} did not resolve`,
    );
  }

  /** A user access outside user space: a kernel address, or a non-canonical one (#GP). */
  private badAddress(va: number): SegmentationFault {
    const canonical =
      Number.isInteger(va) &&
      (this.vm.arch.is64Bit ? va >= -(2 ** 47) && va < 2 ** 47 : va >= 0 && va < 2 ** 32);
    return canonical
      ? new SegmentationFault(
          'SIGSEGV',
          'SEGV_MAPERR',
          va,
          `user access to kernel address ${showAddress(va)}`,
        )
      : new SegmentationFault(
          'SIGSEGV',
          'SI_KERNEL',
          va,
          `general protection fault: non-canonical address ${showAddress(va)}`,
        );
  }

  /**
   * The hardware walk: follows the tables; if the leaf allows the access,
   * sets accessed (and dirty on a write), fills the TLB and returns the
   * physical address; otherwise -1 (a page fault).
   */
  private walk(va: number, vpn: number, write: boolean): number {
    const slot = this.pteSlot(va, false);
    if (slot < 0) return -1;
    const geo = this.geo;
    const fmt = geo.format;
    const lo = geo.readLo(slot);
    const hi = geo.readHi(slot);
    if (!fmt.present(lo, hi)) return -1;
    let flags = fmt.flags(lo, hi);
    if ((flags & PTE_USER) === 0) return -1;
    if (write && (flags & PTE_WRITE) === 0) return -1;
    const want = PTE_ACCESSED | (write ? PTE_DIRTY : 0);
    const pfn = fmt.pfn(lo, hi);
    if ((flags & want) !== want) {
      flags |= want;
      geo.write(slot, fmt.lo(pfn, flags, true), fmt.hi(pfn, flags, true));
    }
    const vm = this.vm;
    const tlb = vm.tlbs[vm.buddy.cpu] as Tlb;
    // A clean writable page is cached read-only, so the first write walks again and sets dirty.
    const perm =
      TLB_READ |
      TLB_USER |
      ((flags & (PTE_WRITE | PTE_DIRTY)) === (PTE_WRITE | PTE_DIRTY) ? TLB_WRITE : 0);
    tlb.fill(vpn, this.asid, pfn * this.pageSize, perm);
    return pfn * this.pageSize + (va - vpn * this.pageSize);
  }

  /**
   * A supervisor-mode access (the kernel touching its own memory through
   * this address space's tables): the TLB first, global entries matching
   * any ASID; then a walk, which may end at a block (huge) mapping above
   * the PTE level, as the direct map does. Returns the physical address,
   * or -1 if nothing maps `va` (an oops for the caller to report).
   */
  translateKernel(va: number, write: boolean): number {
    const tlb = this.tlbs[this.buddy.cpu] as Tlb;
    const pageSize = this.pageSize;
    const vpn = Math.floor(va / pageSize);
    const i = vpn & tlb.mask;
    if (
      tlb.vpn[i] === vpn &&
      (tlb.asid[i] === this.asid || ((tlb.perm[i] as number) & TLB_GLOBAL) !== 0)
    ) {
      if (((tlb.perm[i] as number) & (write ? TLB_WRITE : TLB_READ)) !== 0) {
        tlb.hits++;
        return (tlb.frame[i] as number) + (va - vpn * pageSize);
      }
    }
    tlb.misses++;
    const geo = this.geo;
    const fmt = geo.format;
    let table = this.pgd;
    for (let level = 0; level < geo.levels; level++) {
      const slot = geo.slot(table, geo.index(va, level));
      const lo = geo.readLo(slot);
      const hi = geo.readHi(slot);
      if (!fmt.present(lo, hi)) return -1;
      const last = level === geo.levels - 1;
      if (!last && !isBlock(geo, lo)) {
        table = fmt.pfn(lo, hi);
        continue;
      }
      const flags = fmt.flags(lo, hi);
      if (write && (flags & PTE_WRITE) === 0) return -1;
      // A block maps 2 ** shift bytes; the page inside it is found by offset.
      const span = 2 ** (geo.shifts[level] as number);
      const base = fmt.pfn(lo, hi) * pageSize;
      const unsigned = va < 0 ? va + (this.vm.arch.is64Bit ? 2 ** 48 : 2 ** 32) : va;
      const offsetInBlock = unsigned - Math.floor(unsigned / span) * span;
      const pagePa = base + Math.floor(offsetInBlock / pageSize) * pageSize;
      const perm =
        TLB_READ | (flags & PTE_WRITE ? TLB_WRITE : 0) | (flags & PTE_GLOBAL ? TLB_GLOBAL : 0);
      tlb.fill(vpn, this.asid, pagePa, perm);
      return pagePa + (va - vpn * pageSize);
    }
    return -1;
  }

  /** The present PTE of `va` as [pfn, flags], or null. For the fault handler, /proc and tests. */
  lookupPte(va: number): { slot: number; pfn: number; flags: number } | null {
    const slot = this.pteSlot(va, false);
    if (slot < 0) return null;
    const lo = this.geo.readLo(slot);
    const hi = this.geo.readHi(slot);
    if (!this.geo.format.present(lo, hi)) return null;
    return {
      slot,
      pfn: this.geo.format.pfn(lo, hi),
      flags: this.geo.format.flags(lo, hi) | PTE_PRESENT,
    };
  }

  /**
   * Calls `visit(va, slot)` for every page-table leaf slot in `[start, end)`
   * whose table exists (present or not), skipping missing tables whole.
   */
  forEachPteSlot(start: number, end: number, visit: (va: number, slot: number) => void): void {
    const geo = this.geo;
    const pageSize = this.pageSize;
    const tableSpan = pageSize * (geo.entries[geo.levels - 1] as number);
    let va = start;
    while (va < end) {
      const slot = this.pteSlot(va, false);
      if (slot < 0) {
        va = (Math.floor(va / tableSpan) + 1) * tableSpan; // the whole missing table
        continue;
      }
      const tableEnd = Math.min(end, (Math.floor(va / tableSpan) + 1) * tableSpan);
      for (let s = slot; va < tableEnd; va += pageSize, s += geo.entryBytes) visit(va, s);
    }
  }

  /** Frees every user page table (not the kernel's shared ones), then the PGD. */
  freePageTables(): void {
    const kernelIndices = new Set(this.vm.kernelTop.map((e) => e.index));
    const free = (table: number, level: number): void => {
      if (level < this.geo.levels - 1) {
        const entries = this.geo.entries[level] as number;
        for (let i = 0; i < entries; i++) {
          if (level === 0 && kernelIndices.has(i)) continue;
          const slot = this.geo.slot(table, i);
          const lo = this.geo.readLo(slot);
          const hi = this.geo.readHi(slot);
          if (this.geo.format.present(lo, hi) && !isBlock(this.geo, lo))
            free(this.geo.format.pfn(lo, hi), level + 1);
        }
      }
      freeTable(this.vm.buddy, table);
      this.counters.pgtables--;
    };
    free(this.pgd, 0);
  }
}

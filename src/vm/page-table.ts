/**
 * Page tables as the hardware walks them: table frames from the page
 * allocator (`GFP_PGTABLE`: zeroed, marked PageTable), entries in the
 * architecture's format (pte.ts) in simulated RAM. One instance per
 * address space, rooted at its PGD.
 *
 * Levels are numbered from the top (0, the PGD) to the last (the PTE
 * level). A virtual address is split into one index per level and the
 * offset in the page; canonical 48-bit addresses are taken modulo 2**48,
 * so kernel-half (negative) addresses index the top half of the PGD.
 *
 * Kernel mappings: the direct map of low memory is built once, in tables
 * of its own, with the largest blocks each level allows; every address
 * space's PGD points at the same kernel tables (as `clone_pgd_range` copies
 * swapper_pg_dir's kernel half), so they are shared, supervisor-only and
 * global.
 */
import type { BuddyAllocator } from '../buddy/buddy-allocator.js';
import { __GFP_NOFAIL, __GFP_ZERO, GFP_KERNEL } from '../gfp/flags.js';
import { checkGfp } from '../gfp/zone.js';
import type { Arch } from '../page/arch.js';
import { KernelBug } from '../page/errors.js';
import { PageType } from '../page/page-flags.js';
import type { PhysicalMemory } from '../page/physical-memory.js';
import { checkInteger } from '../page/validate.js';
import {
  PTE_ACCESSED,
  PTE_DIRTY,
  PTE_GLOBAL,
  PTE_WRITE,
  type PteFormat,
  pteFormat,
} from './pte.js';

const TWO_32 = 2 ** 32;
const TWO_48 = 2 ** 48;

/** The geometry and memory access shared by every page table of a machine. */
export class PageTableGeometry {
  readonly format: PteFormat;
  /** Bit position of each level's index in a virtual address, top level first. */
  readonly shifts: readonly number[];
  /** Entries per table at each level. */
  readonly entries: readonly number[];
  readonly levels: number;
  readonly pageSize: number;
  readonly entryBytes: number;
  /** `2 ** shifts[level]`, precomputed: `**` on the walk path costs more than the walk. */
  private readonly divisors: Float64Array;
  /** `entries[level] - 1`. */
  private readonly masks: Int32Array;
  private readonly wrap: number;

  constructor(
    readonly arch: Arch,
    readonly memory: PhysicalMemory,
  ) {
    this.format = pteFormat(arch);
    this.levels = arch.levels;
    this.pageSize = arch.pageSize;
    this.entryBytes = this.format.entryBytes;
    const shifts: number[] = [];
    let shift = arch.pageShift;
    for (let l = arch.levels - 1; l >= 0; l--) {
      shifts[l] = shift;
      shift += arch.levelBits[l] as number;
    }
    this.shifts = shifts;
    this.entries = arch.levelBits.map((b) => 2 ** b);
    this.divisors = Float64Array.from(shifts, (sh) => 2 ** sh);
    this.masks = Int32Array.from(this.entries, (n) => n - 1);
    this.wrap = arch.is64Bit ? TWO_48 : TWO_32;
  }

  /** The index of `va` at `level`. */
  index(va: number, level: number): number {
    const unsigned = va < 0 ? va + this.wrap : va;
    // Entries per table are a power of two: `&` keeps the index bits exactly (no fmod).
    return Math.floor(unsigned / (this.divisors[level] as number)) & (this.masks[level] as number);
  }

  /** Physical address of entry `index` of the table in frame `table`. */
  slot(table: number, index: number): number {
    return table * this.pageSize + index * this.entryBytes;
  }

  /** Low word of the entry at physical address `slot`. */
  readLo(slot: number): number {
    const chunk = Math.floor(slot / TWO_32);
    return (this.memory.i32[chunk] as Int32Array)[(slot - chunk * TWO_32) / 4] as number;
  }

  /** High word (0 for 4-byte entries). */
  readHi(slot: number): number {
    if (this.entryBytes === 4) return 0;
    const chunk = Math.floor(slot / TWO_32);
    return (this.memory.i32[chunk] as Int32Array)[(slot - chunk * TWO_32) / 4 + 1] as number;
  }

  /** Writes an entry. */
  write(slot: number, lo: number, hi: number): void {
    const chunk = Math.floor(slot / TWO_32);
    const words = this.memory.i32[chunk] as Int32Array;
    const w = (slot - chunk * TWO_32) / 4;
    words[w] = lo;
    if (this.entryBytes === 8) words[w + 1] = hi;
  }
}

/** `GFP_PGTABLE`. */
const GFP_PGTABLE = GFP_KERNEL | __GFP_ZERO;

/**
 * Allocates a zeroed table frame, marked as a page table; -1 when memory is
 * out. Boot-time tables pass `__GFP_NOFAIL` (Linux takes them from memblock).
 */
export function allocTable(buddy: BuddyAllocator, extraGfp = 0): number {
  checkGfp('allocTable', extraGfp); // before `|` turns garbage into a number
  const pfn = buddy.allocPages(GFP_PGTABLE | extraGfp, 0);
  if (pfn === null) return -1;
  buddy.memMap.setPageType(pfn, PageType.table);
  return pfn;
}

/** Frees a table frame. */
export function freeTable(buddy: BuddyAllocator, pfn: number): void {
  buddy.memMap.checkPfn('freeTable', pfn);
  if (buddy.memMap.pageType(pfn) !== PageType.table) {
    throw new KernelBug(`freeTable: pfn ${pfn} is not a page-table page`);
  }
  buddy.memMap.setPageType(pfn, PageType.none);
  buddy.freePages(pfn, 0);
}

/**
 * The kernel's own tables: the direct map of low memory, read-write,
 * supervisor-only, global and not executable, in leaves at the level just
 * above the PTEs (2 MiB blocks with 4 KiB pages; 4 MiB on i386). Returns
 * the top-level entries (index, lo, hi) every PGD copies.
 */
export function buildKernelMappings(
  geo: PageTableGeometry,
  buddy: BuddyAllocator,
): { index: number; lo: number; hi: number }[] {
  const arch = geo.arch;
  const limit = Math.min(buddy.memory.size, arch.directMapLimit);
  const leafLevel = geo.levels - 2; // one level above the PTEs
  const blockShift = geo.shifts[leafLevel] as number;
  const top = new Map<number, number>(); // top-level index -> table pfn
  const fmt = geo.format;
  const kernelFlags = PTE_WRITE | PTE_ACCESSED | PTE_DIRTY | PTE_GLOBAL | 0x20; /* NX */
  for (let pa = 0; pa < limit; pa += 2 ** blockShift) {
    const va = arch.pageOffset + pa;
    if (leafLevel === 0) {
      // i386: 4 MiB leaves straight in the PGD.
      top.set(geo.index(va, 0), -(pa / arch.pageSize) - 1);
      continue;
    }
    let table = top.get(geo.index(va, 0));
    if (table === undefined) {
      table = allocTable(buddy, __GFP_NOFAIL);
      top.set(geo.index(va, 0), table);
    }
    for (let level = 1; level < leafLevel; level++) {
      const slot = geo.slot(table, geo.index(va, level));
      const lo = geo.readLo(slot);
      if (fmt.present(lo, geo.readHi(slot))) {
        table = fmt.pfn(lo, geo.readHi(slot));
      } else {
        const next = allocTable(buddy, __GFP_NOFAIL);
        geo.write(slot, fmt.lo(next, PTE_WRITE, false), fmt.hi(next, PTE_WRITE, false));
        table = next;
      }
    }
    const pfn = pa / arch.pageSize;
    geo.write(
      geo.slot(table, geo.index(va, leafLevel)),
      blockLo(geo, pfn, kernelFlags),
      fmt.hi(pfn, kernelFlags, true),
    );
  }
  return [...top].map(([index, table]) => {
    if (table < 0) {
      const pfn = -table - 1;
      return { index, lo: blockLo(geo, pfn, kernelFlags), hi: 0 };
    }
    return { index, lo: fmt.lo(table, PTE_WRITE, false), hi: fmt.hi(table, PTE_WRITE, false) };
  });
}

/** A block (huge) leaf above the PTE level: x86's PS bit, arm64's block descriptor (bit 1 clear). */
export function blockLo(geo: PageTableGeometry, pfn: number, flags: number): number {
  checkInteger('blockLo', 'pfn', pfn);
  checkInteger('blockLo', 'flags', flags);
  const lo = geo.format.lo(pfn, flags, true);
  return geo.arch.name === 'x86_64' || geo.arch.name === 'i386' ? lo | 0x80 : lo & ~0x2;
}

/** Whether a present entry above the PTE level is a block (huge) leaf. */
export function isBlock(geo: PageTableGeometry, lo: number): boolean {
  if (typeof lo !== 'number') checkInteger('isBlock', 'entry', lo);
  return geo.arch.name === 'x86_64' || geo.arch.name === 'i386'
    ? (lo & 0x80) !== 0
    : (lo & 0x2) === 0;
}

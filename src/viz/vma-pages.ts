/**
 * What a VMA's page tables hold for its pages: how many are resident, how
 * many swapped, and (the rest) how many not present.
 *
 * The rule, per page of the VMA: a present PTE is resident; a guard
 * marker (MADV_GUARD_INSTALL) is a guard page; any other non-present PTE
 * that is not empty holds a swap entry, so the page is swapped; an empty
 * PTE, or a table that does not exist, is not present. Invariant:
 * `resident + swapped + guards <= pages`.
 *
 * The walk visits only the tables that exist (`forEachPteSlot`), so it
 * costs O(mapped table entries), not O(address-space size). The process
 * is only read.
 */
import type { Process } from '../vm/process.js';
import { isGuardPte } from '../vm/pte.js';
import type { Vma } from '../vm/vma.js';

/**
 * Page counts of one VMA, from its page tables ({@link vmaPages}).
 *
 * @example
 * ```ts
 * const { pages, resident, swapped } = vmaPages(p, vma);
 * const notPresent = pages - resident - swapped;
 * ```
 */
export interface VmaPages {
  /** Pages the VMA spans. */
  readonly pages: number;
  /** Pages with a present PTE. */
  readonly resident: number;
  /** Pages whose PTE holds a swap entry (non-present, not empty, not a guard marker). */
  readonly swapped: number;
  /** Pages whose PTE holds a guard marker (MADV_GUARD_INSTALL). */
  readonly guards: number;
}

/**
 * Counts the resident and swapped pages of `vma` from `process`'s page
 * tables: a present PTE is resident, a non-present non-empty PTE is
 * swapped, a guard marker a guard page.
 *
 * @example
 * ```ts
 * const p = Kernel.boot({ memory: '32M' }).spawn();
 * const a = p.sys.mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
 * p.store32(a, 1);
 * vmaPages(p, p.mm.vmas.lookup(a)); // { pages: 2, resident: 1, swapped: 0, guards: 0 }
 * ```
 */
export function vmaPages(process: Process, vma: Vma): VmaPages {
  const geo = process.vm.geo;
  const arch = process.vm.arch;
  let resident = 0;
  let swapped = 0;
  let guards = 0;
  process.mm.forEachPteSlot(vma.start, vma.end, (_va, slot) => {
    const lo = geo.readLo(slot);
    const hi = geo.readHi(slot);
    if ((lo | hi) === 0) return;
    if (geo.format.present(lo, hi)) resident++;
    else if (isGuardPte(arch, lo, hi)) guards++;
    else swapped++;
  });
  return { pages: (vma.end - vma.start) / arch.pageSize, resident, swapped, guards };
}

/**
 * Guard regions: MADV_GUARD_INSTALL and MADV_GUARD_REMOVE (Linux 6.13;
 * `madvise_guard_install`, `madvise_guard_remove` and `is_valid_guard_vma`
 * in mm/madvise.c, as the 6.18.y kernels have them).
 *
 * A guard region is a run of pages whose PTEs hold the guard marker
 * (`PTE_MARKER_GUARD`, see pte.ts): any access faults with SIGSEGV,
 * SEGV_MAPERR. Nothing about the VMA changes but its VM_MAYBE_GUARD flag,
 * so /proc/<pid>/maps is unchanged and no VMA is split or used up (guard
 * pages cost page-table entries, not VMAs). The markers live with the
 * page tables:
 *
 * - install zaps what the range maps (present pages, swap entries; the
 *   data is gone) and writes a marker in every PTE, allocating the page
 *   tables it needs; a marker already there stays;
 * - remove clears the markers of the range and nothing else, so the next
 *   access is an ordinary demand fault (zero-filled anonymous memory, the
 *   file's or shared object's data);
 * - MADV_DONTNEED, MADV_FREE, MADV_REMOVE, truncation and mprotect leave
 *   them; mremap moves them with the other PTEs; fork copies them (not
 *   into a VM_WIPEONFORK VMA, whose child gets no page tables); munmap and
 *   exit remove them (see `zapRange`).
 *
 * Which VMAs may hold guards (`is_valid_guard_vma`): any but VM_SPECIAL
 * (VM_IO, VM_DONTEXPAND, VM_PFNMAP, VM_MIXEDMAP) and VM_HUGETLB ones, none
 * of which mmsim creates: anonymous or file-backed, private or shared,
 * whatever the protection. Install also refuses VM_LOCKED memory (EINVAL),
 * whose pages it would have to zap; remove accepts it.
 *
 * Installing sets VM_MAYBE_GUARD on the whole VMA (no split) before the
 * walk; the flag is sticky (vma.ts): it stays after the guards are
 * removed, survives splits and does not prevent merges.
 *
 * Out of memory for a page table: ENOMEM, with the guards written so far
 * kept (Linux's page walk stops the same way).
 */
import type { AddressSpace } from '../address-space.js';
import { zapRange } from '../mm-ops.js';
import { guardPte, isGuardPte } from '../pte.js';
import { VM_LOCKED, VM_MAYBE_GUARD, type Vma } from '../vma.js';
import { err } from './vma-ops.js';

/**
 * `madvise_guard_install` on `[start, end)` of `vma` (page aligned, inside
 * it): 0, -EINVAL (VM_LOCKED) or -ENOMEM (no memory for a page table).
 */
export function guardInstall(mm: AddressSpace, vma: Vma, start: number, end: number): number {
  if ((vma.flags & VM_LOCKED) !== 0) return err('EINVAL');
  const vm = mm.vm;
  const geo = vm.geo;
  const page = vm.arch.pageSize;
  const marker = guardPte(vm.arch);
  vma.flags |= VM_MAYBE_GUARD;
  // Whatever is mapped goes first (zap_page_range_single; markers already there stay).
  zapRange(mm, vma, start, end);
  for (let va = start; va < end; va += page) {
    const slot = mm.pteSlot(va, true);
    if (slot < 0) return err('ENOMEM');
    const lo = geo.readLo(slot);
    const hi = geo.readHi(slot);
    if (lo === marker.lo && hi === marker.hi) continue;
    geo.write(slot, marker.lo, marker.hi);
    vm.flushPage(mm, va);
  }
  return 0;
}

/**
 * `madvise_guard_remove` on `[start, end)` of `vma`: clears every guard
 * marker of the range (`pte_clear_not_present_full`); other entries are
 * left alone. Always 0: no VMA mmsim has is refused.
 */
export function guardRemove(mm: AddressSpace, _vma: Vma, start: number, end: number): number {
  const vm = mm.vm;
  const geo = vm.geo;
  mm.forEachPteSlot(start, end, (va, slot) => {
    if (isGuardPte(vm.arch, geo.readLo(slot), geo.readHi(slot))) mm.clearPte(slot, va);
  });
  return 0;
}

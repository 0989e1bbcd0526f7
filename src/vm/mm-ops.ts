/**
 * Whole-range operations on an address space's pages: unmapping a range
 * (`zap_page_range`), copying an address space for fork (`dup_mmap` with
 * `copy_page_range`), and tearing one down (`exit_mmap`).
 */

import { checkPageRange } from '../page/validate.js';
import type { AddressSpace } from './address-space.js';
import { getVmaFile, putVmaFile, syncOnUnmap } from './fs/file-mapping.js';
import { pageRssKind } from './page-kind.js';
import { isGuardPte, PTE_DIRTY, PTE_WRITE, pteToSwapEntry } from './pte.js';
import type { RssKind, VmSystem } from './vm-system.js';
import {
  VM_DONTCOPY,
  VM_LOCKED_MASK,
  VM_MAYBE_GUARD,
  VM_SHARED,
  VM_WIPEONFORK,
  type Vma,
} from './vma.js';

/**
 * Which RSS counter a VMA's pages count in (a private file VMA's
 * copied-on-write pages are anonymous: see `pageRssKind` per page).
 */
export function rssKindOf(vma: Vma): RssKind {
  if (vma.backing.file !== null) return 'file';
  return vma.backing.shared !== null ? 'shmem' : 'anon';
}

/**
 * `zap_page_range`: clears every PTE of `[start, end)` (inside `vma`),
 * dropping the pages' mappings and references and flushing the TLBs.
 * Guard markers stay unless `dropMarkers` (`ZAP_FLAG_DROP_MARKER`, which
 * munmap and exit pass through `unmap_vmas`): MADV_DONTNEED, a hole punch
 * and a truncate keep a range's guards.
 */
export function zapRange(
  mm: AddressSpace,
  vma: Vma,
  start: number,
  end: number,
  dropMarkers = false,
): void {
  checkPageRange('zapRange', start, end, vma.start, vma.end, mm.vm.arch.pageSize);
  const vm = mm.vm;
  mm.forEachPteSlot(start, end, (va, slot) => {
    const lo = vm.geo.readLo(slot);
    const hi = vm.geo.readHi(slot);
    if (!vm.geo.format.present(lo, hi)) {
      if (isGuardPte(vm.arch, lo, hi)) {
        if (dropMarkers) mm.clearPte(slot, va);
        return;
      }
      if (lo !== 0 || hi !== 0) {
        vm.swap.free(pteToSwapEntry(vm.arch, lo, hi));
        mm.counters.swap--;
        mm.clearPte(slot, va);
      }
      return;
    }
    const pfn = vm.geo.format.pfn(lo, hi);
    mm.clearPte(slot, va);
    if (pfn === vm.zeroPfn) return;
    // A locked mapping gives up its mlock before the page can be freed (munlock_vma_folio).
    vm.unmapPage(mm, pfn, pageRssKind(vm, vma, pfn), vma);
  });
}

/**
 * `dup_mmap`: the child's copy of `parent`. Private writable memory becomes
 * copy-on-write in both (`copy_present_pte` write-protects the parent's
 * PTEs too); shared memory stays shared; VM_DONTCOPY areas are left out.
 * A VM_WIPEONFORK area gets the VMA (flag included) but none of its page
 * tables, so the child reads zeros there (and has none of its guards).
 * Guard markers are copied (`copy_pte_marker` always keeps
 * PTE_MARKER_GUARD); a shared VMA's page tables are copied only when it may
 * hold guards (`vma_needs_copy`: VM_MAYBE_GUARD), its present PTEs then
 * mapping the same pages in the child, clean (`pte_mkclean`).
 * Returns null, with nothing leaked, when memory runs out.
 */
export function dupMmap(vm: VmSystem, parent: AddressSpace): AddressSpace | null {
  // The child joins the parent's anon_vma at once, so that reclaim during
  // the copy finds the PTEs it already has.
  const child = vm.newAddressSpace(0, parent.anonVma);
  if (child === null) return null;
  child.startCode = parent.startCode;
  child.endCode = parent.endCode;
  child.startData = parent.startData;
  child.endData = parent.endData;
  child.startBrk = parent.startBrk;
  child.brk = parent.brk;
  child.startStack = parent.startStack;
  child.mmapBase = parent.mmapBase;
  const fmt = vm.geo.format;
  for (const vma of parent.vmas.all()) {
    if ((vma.flags & VM_DONTCOPY) !== 0) continue;
    const copy = vma.clone();
    // Memory locks are not inherited (mlock(2); dup_mmap clears VM_LOCKED_MASK).
    copy.flags &= ~VM_LOCKED_MASK;
    child.vmas.insert(copy);
    getVmaFile(copy);
    child.totalVm += vma.size / vm.arch.pageSize;
    if (vma.backing.shared !== null) vma.backing.shared.users++;
    // VM_WIPEONFORK: a clean slate in the child (no anon_vma, no copy_page_range).
    if ((vma.flags & VM_WIPEONFORK) !== 0) continue;
    // vma_needs_copy: a shared mapping (anonymous or file) has no anonymous
    // pages to protect; the child faults the object's pages in, unless
    // guard markers may need copying.
    const shared = (vma.flags & VM_SHARED) !== 0;
    if (shared && (vma.flags & VM_MAYBE_GUARD) === 0) continue;
    let failed = false;
    parent.forEachPteSlot(vma.start, vma.end, (va, slot) => {
      if (failed) return;
      if (vm.geo.readLo(slot) === 0 && vm.geo.readHi(slot) === 0) return;
      // The child's table first: allocating it may reclaim, which can swap
      // the parent's page out or drop it, so the PTE is read after.
      const childSlot = child.pteSlot(va, true);
      if (childSlot < 0) {
        failed = true;
        return;
      }
      const lo = vm.geo.readLo(slot);
      const hi = vm.geo.readHi(slot);
      if (!fmt.present(lo, hi)) {
        if (lo === 0 && hi === 0) return;
        // copy_nonpresent_pte: a guard marker is copied as it is.
        if (isGuardPte(vm.arch, lo, hi)) {
          vm.geo.write(childSlot, lo, hi);
          return;
        }
        // copy_nonpresent_pte: the child shares the swap slot.
        vm.swap.duplicate(pteToSwapEntry(vm.arch, lo, hi));
        vm.geo.write(childSlot, lo, hi);
        child.counters.swap++;
        return;
      }
      const pfn = fmt.pfn(lo, hi);
      let flags = fmt.flags(lo, hi);
      if (shared) {
        // copy_present_pte for a shared mapping: the same page, clean in the child.
        child.setPte(childSlot, va, pfn, flags & ~PTE_DIRTY);
        vm.mapPage(child, pfn, pageRssKind(vm, vma, pfn));
        return;
      }
      if ((flags & PTE_WRITE) !== 0) {
        // copy_present_pte write-protects both copies and keeps the dirty bit.
        flags &= ~PTE_WRITE;
        parent.setPte(slot, va, pfn, flags);
      }
      child.setPte(childSlot, va, pfn, flags);
      if (pfn !== vm.zeroPfn) vm.mapPage(child, pfn, pageRssKind(vm, vma, pfn));
    });
    if (failed) {
      exitMmap(child);
      return null;
    }
  }
  child.updateHiwater();
  return child;
}

/** `exit_mmap`: unmaps everything, frees the page tables and forgets the address space's TLB entries. */
export function exitMmap(mm: AddressSpace): void {
  for (const vma of mm.vmas.all()) {
    zapRange(mm, vma, vma.start, vma.end, true);
    const shared = vma.backing.shared;
    if (shared !== null) releaseShared(mm.vm, shared);
    syncOnUnmap(mm.vm, vma);
    putVmaFile(mm.vm, vma);
  }
  // All at once: removing one by one from the front would be quadratic.
  mm.vmas.clear();
  mm.totalVm = 0;
  mm.freePageTables();
  mm.vm.flushMm(mm);
  mm.vm.forgetAddressSpace(mm);
}

/** Drops one user of a shared anonymous object; the last frees its frames. */
export function releaseShared(vm: VmSystem, shared: import('./vma.js').SharedAnon): void {
  shared.users--;
  if (shared.users > 0) return;
  for (const pfn of shared.pages.values()) vm.buddy.freePages(pfn, 0);
  shared.pages.clear();
  for (const index of [...shared.swapped.keys()]) vm.swap.shmemFree(shared, index);
  vm.shmemObjects.delete(shared.id);
}

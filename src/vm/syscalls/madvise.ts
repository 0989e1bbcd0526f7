/**
 * madvise(2): `do_madvise`, `madvise_walk_vmas` and the advice handlers of
 * mm/madvise.c (Linux 6.x).
 *
 * `advice` is checked first (EINVAL for values this kernel does not
 * support), then `addr` alignment (EINVAL) and `len` (EINVAL when it is
 * negative or wraps; 0 is a successful no-op). The advice is then applied
 * VMA by VMA. Unmapped parts of the range are skipped and reported as
 * ENOMEM at the end, after the mapped parts were advised, as the man page
 * says; an error from one VMA (EINVAL, EACCES, EAGAIN) stops the walk with
 * the VMAs before it already advised, as Linux does.
 *
 * - MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL set or clear VM_RAND_READ and
 *   VM_SEQ_READ; MADV_DONTFORK and MADV_DOFORK set or clear VM_DONTCOPY;
 *   MADV_WIPEONFORK sets VM_WIPEONFORK, on private anonymous memory only
 *   (EINVAL for a file or shared mapping), and MADV_KEEPONFORK clears it
 *   (any mapping): a fork's child then gets that range zero-filled.
 *   VMAs are split where the range cuts them and merged where they come to
 *   match a neighbour; running out of VMAs (`vm.max_map_count`) is EAGAIN.
 * - MADV_DONTNEED (and MADV_DONTNEED_LOCKED, which also accepts VM_LOCKED
 *   memory) unmaps the pages (`zap_page_range_single`): private anonymous
 *   memory reads back as zero afterwards; shared anonymous memory keeps its
 *   data, which its object holds. Guard markers stay. EINVAL on VM_LOCKED
 *   memory.
 * - MADV_FREE, for private anonymous memory only (EINVAL otherwise): a
 *   swapped-out page is dropped at once (its swap slot freed); each resident
 *   page this mapping alone uses is marked lazily freeable
 *   (`madvise_free_pte_range`): its PTE is made clean and old, and the page
 *   loses PG_swapbacked, so that reclaim may drop it instead of swapping it
 *   out, unless it is written again first (which dirties the PTE). Until
 *   reclaim takes it the page keeps its data. The zero page and pages shared
 *   with another process (after fork) are left alone, and so are guard
 *   markers.
 * - MADV_REMOVE punches a hole in the file or shared anonymous object a
 *   shared writable mapping maps (madvise-remove.ts).
 * - MADV_GUARD_INSTALL and MADV_GUARD_REMOVE install and remove guard
 *   regions in the page tables (madvise-guard.ts).
 * - MADV_WILLNEED reads ahead what is not in memory: a file's pages into
 *   the page cache, swapped-out anonymous pages into the swap cache
 *   (`swapin_readahead`), neither mapped; the next fault finds them there
 *   without I/O. Linux does not prefault anonymous memory for it.
 * - MADV_COLD and MADV_PAGEOUT deactivate the pages (PTE accessed bits and
 *   PG_referenced/PG_active cleared on pages this mapping alone uses);
 *   PAGEOUT then reclaims them at once whatever their references
 *   (`reclaim_pages`): anonymous pages go to swap (without swap they stay),
 *   file pages are written back if dirty and dropped. EINVAL on VM_LOCKED.
 * - MADV_POPULATE_READ and MADV_POPULATE_WRITE prefault the range as reads
 *   or writes (`faultin_page_range`): ENOMEM at unmapped space or when
 *   memory runs out, EINVAL when the VMA does not allow the access, EFAULT
 *   when the fault would raise a signal.
 *
 * Not modelled, hence EINVAL as from a kernel built without them:
 * MADV_MERGEABLE/UNMERGEABLE (KSM), MADV_HUGEPAGE/NOHUGEPAGE/COLLAPSE (THP),
 * MADV_DONTDUMP/DODUMP, MADV_HWPOISON, MADV_SOFT_OFFLINE.
 */

import { PG } from '../../page/page-flags.js';
import type { AddressSpace } from '../address-space.js';
import { readaheadFile } from '../fs/file-fault.js';
import { fileMappingOf } from '../fs/file-mapping.js';
import { zapRange } from '../mm-ops.js';
import {
  MADV_COLD,
  MADV_DOFORK,
  MADV_DONTFORK,
  MADV_DONTNEED,
  MADV_FREE,
  MADV_GUARD_INSTALL,
  MADV_GUARD_REMOVE,
  MADV_KEEPONFORK,
  MADV_NORMAL,
  MADV_PAGEOUT,
  MADV_RANDOM,
  MADV_REMOVE,
  MADV_SEQUENTIAL,
  MADV_WILLNEED,
  MADV_WIPEONFORK,
} from '../mman.js';
import { isSwapPte, PTE_ACCESSED, PTE_DIRTY, PTE_PRESENT, pteToSwapEntry } from '../pte.js';
import {
  VM_DONTCOPY,
  VM_LOCKED,
  VM_RAND_READ,
  VM_READ,
  VM_SEQ_READ,
  VM_SHARED,
  VM_WIPEONFORK,
  VM_WRITE,
  type Vma,
} from '../vma.js';
import { guardInstall, guardRemove } from './madvise-guard.js';
import { madviseRemove } from './madvise-remove.js';
import {
  err,
  faultInRange,
  longBits,
  modifyVmaFlags,
  pageAlign,
  toIntBits,
  toUlong,
} from './vma-ops.js';

/** Prefault the range readable (`MADV_POPULATE_READ`, Linux 5.14). */
export const MADV_POPULATE_READ = 22;
/** Prefault the range writable, breaking copy-on-write (`MADV_POPULATE_WRITE`, Linux 5.14). */
export const MADV_POPULATE_WRITE = 23;
/** Like MADV_DONTNEED, but also for VM_LOCKED memory (`MADV_DONTNEED_LOCKED`, Linux 5.18). */
export const MADV_DONTNEED_LOCKED = 24;

const SUPPORTED = new Set([
  MADV_NORMAL,
  MADV_RANDOM,
  MADV_SEQUENTIAL,
  MADV_WILLNEED,
  MADV_DONTNEED,
  MADV_FREE,
  MADV_REMOVE,
  MADV_DONTFORK,
  MADV_DOFORK,
  MADV_WIPEONFORK,
  MADV_KEEPONFORK,
  MADV_COLD,
  MADV_PAGEOUT,
  MADV_POPULATE_READ,
  MADV_POPULATE_WRITE,
  MADV_DONTNEED_LOCKED,
  MADV_GUARD_INSTALL,
  MADV_GUARD_REMOVE,
]);

/** madvise(2): 0, or a negative errno. */
export function sysMadvise(mm: AddressSpace, addr: number, len: number, advice: number): number {
  const bits = longBits(mm);
  const page = mm.vm.arch.pageSize;
  const ustart = toUlong(addr, bits);
  const ulen = toUlong(len, bits);
  const uadvice = toIntBits(advice);
  if (ustart === null || ulen === null || uadvice === null) return err('EINVAL');
  if (!SUPPORTED.has(advice)) return err('EINVAL');
  if (ustart % page !== 0) return err('EINVAL');
  const alen = pageAlign(ulen, page, bits);
  if (ulen !== 0 && alen === 0) return err('EINVAL');
  const end = ustart + alen;
  if (end >= 2 ** bits) return err('EINVAL');
  if (end === ustart) return 0;
  if (advice === MADV_POPULATE_READ || advice === MADV_POPULATE_WRITE) {
    return madvisePopulate(mm, ustart, end, advice === MADV_POPULATE_WRITE);
  }
  return walkVmas(mm, ustart, end, (vma, start, tmp) => adviseVma(mm, vma, start, tmp, advice));
}

/**
 * `madvise_walk_vmas`: calls `visit` on the mapped pieces of `[start, end)`;
 * unmapped space becomes ENOMEM at the end, an error from `visit` stops the walk.
 */
function walkVmas(
  mm: AddressSpace,
  start: number,
  end: number,
  visit: (vma: Vma, start: number, end: number) => number,
): number {
  let unmappedError = 0;
  let vma = mm.vmas.findVma(start);
  for (;;) {
    if (vma === undefined) return err('ENOMEM');
    if (start < vma.start) {
      unmappedError = err('ENOMEM');
      start = vma.start;
      if (start >= end) break;
    }
    const tmp = Math.min(vma.end, end);
    const error = visit(vma, start, tmp);
    if (error !== 0) return error;
    start = tmp;
    if (start >= end) break;
    vma = mm.vmas.findVma(start);
  }
  return unmappedError;
}

/** `madvise_vma_behavior`: one advice on `[start, end)` of one VMA. */
function adviseVma(mm: AddressSpace, vma: Vma, start: number, end: number, advice: number): number {
  let newFlags = vma.flags;
  switch (advice) {
    case MADV_REMOVE:
      return madviseRemove(mm, vma, start, end);
    case MADV_GUARD_INSTALL:
      return guardInstall(mm, vma, start, end);
    case MADV_GUARD_REMOVE:
      return guardRemove(mm, vma, start, end);
    case MADV_WILLNEED: {
      // Files read ahead into the page cache; swapped-out anonymous pages into the swap cache.
      const file = fileMappingOf(vma);
      if (file !== null) readaheadFile(mm.vm, vma, file, start, end);
      else if (vma.backing.shared === null) readaheadSwap(mm, vma, start, end);
      return 0;
    }
    case MADV_COLD:
    case MADV_PAGEOUT: {
      if ((vma.flags & VM_LOCKED) !== 0) return err('EINVAL');
      const pages = deactivate(mm, start, end);
      if (advice === MADV_PAGEOUT) mm.vm.deferredWork?.reclaimPages(pages);
      return 0;
    }
    case MADV_DONTNEED:
    case MADV_DONTNEED_LOCKED:
    case MADV_FREE: {
      if (advice !== MADV_DONTNEED_LOCKED && (vma.flags & VM_LOCKED) !== 0) return err('EINVAL');
      if (advice === MADV_FREE) {
        if (vma.backing.file !== null || vma.backing.shared !== null) return err('EINVAL');
        lazyFree(mm, start, end);
        return 0;
      }
      zapRange(mm, vma, start, end);
      return 0;
    }
    case MADV_NORMAL:
      newFlags &= ~(VM_RAND_READ | VM_SEQ_READ);
      break;
    case MADV_SEQUENTIAL:
      newFlags = (newFlags & ~VM_RAND_READ) | VM_SEQ_READ;
      break;
    case MADV_RANDOM:
      newFlags = (newFlags & ~VM_SEQ_READ) | VM_RAND_READ;
      break;
    case MADV_DONTFORK:
      newFlags |= VM_DONTCOPY;
      break;
    case MADV_DOFORK:
      newFlags &= ~VM_DONTCOPY;
      break;
    case MADV_WIPEONFORK:
      // Anonymous private memory only: the child could not be given a wiped file.
      if (vma.backing.file !== null || (newFlags & VM_SHARED) !== 0) return err('EINVAL');
      newFlags |= VM_WIPEONFORK;
      break;
    case MADV_KEEPONFORK:
      newFlags &= ~VM_WIPEONFORK;
      break;
  }
  const r = modifyVmaFlags(mm, vma, start, end, newFlags);
  // Running out of VMAs is a temporary shortage of kernel resources to madvise.
  return typeof r === 'number' ? err('EAGAIN') : 0;
}

/** `madvise_willneed` on anonymous memory: every swapped-out page of the range is read into the swap cache. */
function readaheadSwap(mm: AddressSpace, vma: Vma, start: number, end: number): void {
  const vm = mm.vm;
  mm.forEachPteSlot(start, end, (va, slot) => {
    const lo = vm.geo.readLo(slot);
    const hi = vm.geo.readHi(slot);
    if (!isSwapPte(vm.arch, lo, hi)) return; // none, present, or a guard marker
    vm.swap.readahead(mm, vma, va, pteToSwapEntry(vm.arch, lo, hi));
  });
}

/** Whether a frame is mapped by this mapping alone (`!folio_maybe_mapped_shared`), and is not the zero page. */
function exclusivePage(mm: AddressSpace, pfn: number): boolean {
  const m = mm.vm.buddy.memMap;
  return pfn !== mm.vm.zeroPfn && m.mapcount[pfn] === 1;
}

/**
 * `madvise_free_pte_range`: a swapped-out page is dropped now (its swap slot
 * freed, its PTE cleared: it reads back as zero); a resident page this
 * mapping alone uses gets a clean, old PTE and becomes lazily freeable.
 */
function lazyFree(mm: AddressSpace, start: number, end: number): void {
  const vm = mm.vm;
  const geo = vm.geo;
  const fmt = geo.format;
  const m = vm.buddy.memMap;
  mm.forEachPteSlot(start, end, (va, slot) => {
    const lo = geo.readLo(slot);
    const hi = geo.readHi(slot);
    if (!fmt.present(lo, hi)) {
      if (isSwapPte(vm.arch, lo, hi)) {
        vm.swap.free(pteToSwapEntry(vm.arch, lo, hi));
        mm.counters.swap--;
        mm.clearPte(slot, va);
      }
      return;
    }
    const pfn = fmt.pfn(lo, hi);
    if (!exclusivePage(mm, pfn)) return;
    // A page still in the swap cache keeps its slot's copy, which is stale once written again.
    if (m.testFlag(pfn, PG.swapcache)) return;
    m.clearFlag(pfn, PG.dirty);
    const flags = fmt.flags(lo, hi) & ~PTE_PRESENT;
    if ((flags & (PTE_ACCESSED | PTE_DIRTY)) !== 0) {
      mm.setPte(slot, va, pfn, flags & ~(PTE_ACCESSED | PTE_DIRTY));
    }
    // folio_mark_lazyfree: off the swap-backed LRU, to the inactive file list.
    vm.lru.move(pfn, 0, (1 << PG.swapbacked) | (1 << PG.active) | (1 << PG.referenced));
  });
}

/**
 * `madvise_cold_or_pageout_pte_range`: old PTEs and inactive pages, for the
 * pages this mapping alone uses; returns those pages (what MADV_PAGEOUT
 * then reclaims).
 */
function deactivate(mm: AddressSpace, start: number, end: number): number[] {
  const geo = mm.vm.geo;
  const fmt = geo.format;
  const m = mm.vm.buddy.memMap;
  const pages: number[] = [];
  mm.forEachPteSlot(start, end, (va, slot) => {
    const lo = geo.readLo(slot);
    const hi = geo.readHi(slot);
    if (!fmt.present(lo, hi)) return;
    const pfn = fmt.pfn(lo, hi);
    if (!exclusivePage(mm, pfn)) return;
    const flags = fmt.flags(lo, hi) & ~PTE_PRESENT;
    if ((flags & PTE_ACCESSED) !== 0) mm.setPte(slot, va, pfn, flags & ~PTE_ACCESSED);
    if (m.testFlag(pfn, PG.unevictable)) return;
    mm.vm.lru.deactivate(pfn);
    pages.push(pfn);
  });
  return pages;
}

/**
 * `madvise_populate`: faults the range in as reads or writes, VMA by VMA;
 * unlike MAP_POPULATE it reports failure.
 */
function madvisePopulate(mm: AddressSpace, start: number, end: number, write: boolean): number {
  while (start < end) {
    const vma = mm.vmas.lookup(start);
    if (vma === undefined) return err('ENOMEM');
    const allowed = write ? (vma.flags & VM_WRITE) !== 0 : (vma.flags & VM_READ) !== 0;
    if (!allowed) return err('EINVAL');
    const tmp = Math.min(end, vma.end);
    const r = faultInRange(mm, start, tmp, write);
    if (r !== 0) return r;
    start = tmp;
  }
  return 0;
}

/**
 * mremap(2): `sys_mremap`, `check_mremap_params`, `remap_move`,
 * `mremap_to`, `mremap_at`, `check_prep_vma`, `move_vma` and
 * `move_page_tables` (mm/mremap.c of Linux 6.18).
 *
 * - Shrinking in place unmaps the tail (the tail may span several VMAs).
 * - Growing in place extends the VMA when the space after it is free
 *   (`vma_expandable`), merging with the next VMA if it then matches.
 * - Otherwise, with MREMAP_MAYMOVE, the range moves to a new place
 *   (top-down search) or, with MREMAP_FIXED, to `newAddr` (whatever was
 *   there is unmapped first): a VMA with the same flags and backing is
 *   placed there and the page-table entries move with their pages (guard
 *   markers and swap entries included), so no page is copied, RSS does not
 *   change, and the old addresses fault. With MREMAP_DONTUNMAP the old VMA
 *   stays, empty (it reads back as zero, or as the shared object's data),
 *   and loses VM_LOCKED and VM_LOCKONFAULT, while VmLck keeps counting it
 *   (Linux 6.18 never subtracts it).
 * - A same-size MREMAP_FIXED move may span several VMAs, and gaps between
 *   them (Linux 6.17's `remap_move`): each VMA moves to the same distance
 *   from `newAddr` as it had from `oldAddr`. The range must start inside a
 *   VMA. Any other call needs the old range inside one VMA.
 * - `oldSize` 0 on a shared mapping creates a second mapping of the same
 *   pages (MREMAP_MAYMOVE needed).
 * - A shared anonymous mapping may grow past the end of its object, which
 *   keeps its size: the pages there raise SIGBUS (`shmem_fault`).
 *
 * Errors in the kernel's order: unknown flags, `oldAddr` unaligned,
 * `newSize` 0 or past TASK_SIZE (EINVAL); with a new address (MREMAP_FIXED
 * or MREMAP_DONTUNMAP): `newAddr` out of range or unaligned, no
 * MREMAP_MAYMOVE, MREMAP_DONTUNMAP resizing, the ranges overlapping
 * (EINVAL), too close to `vm.max_map_count` (ENOMEM); then no VMA at
 * `oldAddr` (EFAULT); duplicating a private mapping (EINVAL); the old
 * range leaving its VMA (EFAULT: for a shrink, the part kept); the page
 * offset overflowing (EINVAL); RLIMIT_MEMLOCK for a locked mapping
 * (EAGAIN); RLIMIT_AS and RLIMIT_DATA for the growth or for
 * MREMAP_DONTUNMAP's copy (`may_expand_vm`: ENOMEM); the overcommit charge, no room and no MREMAP_MAYMOVE (ENOMEM).
 * Every one of these is decided before anything is unmapped: a refused
 * MREMAP_FIXED call leaves the destination and the source as they were.
 */
import type { AddressSpace } from '../address-space.js';
import { MAP_FIXED, MAP_SHARED } from '../mman.js';
import { VM_ACCOUNT, VM_LOCKED, VM_LOCKED_MASK, VM_MAYSHARE, VM_SHARED, type Vma } from '../vma.js';
import { mayExpandVm, mlockFutureOk } from './vm-limits.js';
import {
  err,
  findVmaIntersection,
  getUnmappedArea,
  hasAnonPages,
  insertMapping,
  longBits,
  pageAlign,
  populateRange,
  toIntBits,
  toUlong,
  unmapRange,
  vmEnoughMemory,
  vmTunables,
} from './vma-ops.js';

/** The mapping may move to a new address. */
export const MREMAP_MAYMOVE = 1;
/** Move to `newAddr` exactly, replacing what is there (needs MREMAP_MAYMOVE). */
export const MREMAP_FIXED = 2;
/** Move, but leave the old range mapped and empty (Linux 5.7; needs MREMAP_MAYMOVE, same size). */
export const MREMAP_DONTUNMAP = 4;

/** mremap(2): the (possibly new) address of the mapping, or a negative errno. */
export function sysMremap(
  mm: AddressSpace,
  oldAddr: number,
  oldSize: number,
  newSize: number,
  flags: number,
  newAddr: number,
): number {
  const bits = longBits(mm);
  const page = mm.vm.arch.pageSize;
  const addr = toUlong(oldAddr, bits);
  const uold = toUlong(oldSize, bits);
  const unew = toUlong(newSize, bits);
  const uflags = toIntBits(flags);
  const target = toUlong(newAddr, bits);
  if (addr === null || uold === null || unew === null || uflags === null || target === null) {
    return err('EINVAL');
  }
  const oldLen = pageAlign(uold, page, bits);
  const newLen = pageAlign(unew, page, bits);
  const bad = checkMremapParams(mm, addr, oldLen, newLen, uflags, target);
  if (bad < 0) return bad;
  const mayMove = (uflags & MREMAP_MAYMOVE) !== 0;

  // A same-size MREMAP_FIXED move may span several VMAs (remap_move, Linux 6.17).
  if ((uflags & MREMAP_FIXED) !== 0 && oldLen === newLen) {
    return remapMove(mm, addr, oldLen, target, uflags);
  }
  const vma = mm.vmas.lookup(addr);
  if (vma === undefined) return err('EFAULT');
  if ((uflags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) !== 0) {
    return mremapTo(mm, vma, addr, oldLen, target, newLen, uflags);
  }
  // Always allow a shrinking remap: that just unmaps the unnecessary pages.
  if (oldLen >= newLen) {
    if (oldLen === newLen) return addr;
    const r = doMunmap(mm, addr + newLen, oldLen - newLen);
    return r < 0 ? r : addr;
  }
  // We need to grow.
  const refused = checkPrepVma(mm, vma, addr, oldLen, newLen);
  if (refused < 0) return refused;
  if (oldLen === vma.end - addr && vmaExpandable(mm, vma, newLen - oldLen)) {
    const pages = (newLen - oldLen) / page;
    if ((vma.flags & VM_ACCOUNT) !== 0 && !vmEnoughMemory(mm.vm, pages, mm)) return err('ENOMEM');
    const oldEnd = vma.end;
    insertMapping(
      mm,
      oldEnd,
      oldEnd + newLen - oldLen,
      vma.flags,
      vma.pgoff + vma.size / page,
      vma.backing,
      vma.name,
    );
    mm.totalVm += pages;
    mm.updateHiwater();
    if ((vma.flags & VM_LOCKED) !== 0) populateRange(mm, addr + oldLen, addr + newLen);
    return addr;
  }
  // We weren't able to just expand or shrink the area: move it.
  if (!mayMove) return err('ENOMEM');
  const mapFlags = (vma.flags & VM_MAYSHARE) !== 0 ? MAP_SHARED : 0;
  const dest = getUnmappedArea(mm, 0, newLen, mapFlags);
  if (dest < 0) return dest;
  return moveVma(mm, vma, addr, oldLen, newLen, dest, uflags);
}

/** `do_munmap` with munmap's own argument checks. */
function doMunmap(mm: AddressSpace, start: number, len: number): number {
  if (start > mm.taskSize || len > mm.taskSize - start) return err('EINVAL');
  return unmapRange(mm, start, start + len);
}

/**
 * `check_mremap_params` (lengths already page aligned): unknown flags,
 * `addr` unaligned, `newLen` 0 or past TASK_SIZE (EINVAL); for a call with
 * a new address (MREMAP_FIXED or MREMAP_DONTUNMAP): `newAddr` out of range
 * or unaligned, no MREMAP_MAYMOVE, MREMAP_DONTUNMAP resizing, the ranges
 * overlapping (EINVAL), and the map count too close to `vm.max_map_count`
 * for the unmaps to split (ENOMEM). Nothing here looks at the VMAs.
 */
function checkMremapParams(
  mm: AddressSpace,
  addr: number,
  oldLen: number,
  newLen: number,
  flags: number,
  newAddr: number,
): number {
  const page = mm.vm.arch.pageSize;
  if ((flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) !== 0) return err('EINVAL');
  if (addr % page !== 0) return err('EINVAL');
  if (newLen === 0 || newLen > mm.taskSize) return err('EINVAL');
  if ((flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) === 0) return 0;
  if (newAddr > mm.taskSize - newLen) return err('EINVAL');
  if (newAddr % page !== 0) return err('EINVAL');
  if ((flags & MREMAP_MAYMOVE) === 0) return err('EINVAL');
  if ((flags & MREMAP_DONTUNMAP) !== 0 && oldLen !== newLen) return err('EINVAL');
  // The old and new ranges may not overlap.
  if (addr + oldLen > newAddr && newAddr + newLen > addr) return err('EINVAL');
  // move_vma needs the map count well below the limit: the unmaps may split.
  if (mm.vmas.count + 2 >= vmTunables(mm.vm).maxMapCount - 3) return err('ENOMEM');
  return 0;
}

/**
 * `remap_move` (Linux 6.17): a same-size MREMAP_FIXED move of every VMA in
 * `[addr, addr + len)`, each piece keeping its distance from `addr`, so
 * gaps between the source VMAs stay gaps (and whatever the destination
 * has there stays mapped). The range must start in a VMA (EFAULT). Each
 * piece goes through `mremap_to` in turn; a failure stops the walk with
 * the pieces before it moved, as in Linux.
 */
function remapMove(
  mm: AddressSpace,
  addr: number,
  len: number,
  newAddr: number,
  flags: number,
): number {
  const end = addr + len;
  const pieces = mm.vmas
    .overlapping(addr, end)
    .map((v) => ({ start: Math.max(v.start, addr), end: Math.min(v.end, end) }));
  const first = pieces[0];
  if (first === undefined || first.start > addr) return err('EFAULT');
  for (const piece of pieces) {
    const vma = mm.vmas.lookup(piece.start);
    if (vma === undefined) return err('EFAULT');
    const size = piece.end - piece.start;
    const r = mremapTo(mm, vma, piece.start, size, newAddr + (piece.start - addr), size, flags);
    if (r < 0) return r;
  }
  return newAddr;
}

/**
 * `mremap_to`: a move to `newAddr` (MREMAP_FIXED), or a MREMAP_DONTUNMAP
 * move anywhere. Every check that can refuse the call (`check_prep_vma`,
 * and the MREMAP_FIXED destination itself) runs before the destination is
 * unmapped or the source shrunk, so a refused call changes nothing; only
 * running out of memory or VMAs in `move_vma` can fail after them, as in
 * Linux.
 */
function mremapTo(
  mm: AddressSpace,
  vma: Vma,
  addr: number,
  oldLen: number,
  newAddr: number,
  newLen: number,
  flags: number,
): number {
  const fixed = (flags & MREMAP_FIXED) !== 0;
  const refused = checkPrepVma(mm, vma, addr, oldLen, newLen);
  if (refused < 0) return refused;
  // MREMAP_DONTUNMAP maps old_len more pages: RLIMIT_AS, RLIMIT_DATA (mremap_to).
  const page = mm.vm.arch.pageSize;
  if ((flags & MREMAP_DONTUNMAP) !== 0 && !mayExpandVm(mm, vma.flags, oldLen / page)) {
    return err('ENOMEM');
  }
  let mapFlags = fixed ? MAP_FIXED : 0;
  if ((vma.flags & VM_MAYSHARE) !== 0) mapFlags |= MAP_SHARED;
  if (fixed) {
    // What vrm_set_new_addr would refuse after the unmap (mmap_min_addr: EPERM).
    const dest = getUnmappedArea(mm, newAddr, newLen, mapFlags);
    if (dest < 0) return dest;
    const r = doMunmap(mm, newAddr, newLen);
    if (r < 0) return r;
  }
  if (oldLen > newLen) {
    const r = doMunmap(mm, addr + newLen, oldLen - newLen);
    if (r < 0) return r;
    oldLen = newLen;
  }
  const moving = mm.vmas.lookup(addr);
  if (moving === undefined) return err('EFAULT');
  const dest = getUnmappedArea(mm, newAddr, newLen, mapFlags);
  if (dest < 0) return dest;
  return moveVma(mm, moving, addr, oldLen, newLen, fixed ? newAddr : dest, flags);
}

/**
 * The old VMA of a MREMAP_DONTUNMAP move loses VM_LOCKED_MASK, all of it
 * (`vm_flags_clear(vma, VM_LOCKED_MASK)`), and Linux leaves `locked_vm`
 * alone ("we won't unmap"), so VmLck keeps counting its pages
 * (`lockedVmStale`). The pages it still maps (outside the moved range)
 * give up their mlock, which Linux leaves to reclaim.
 */
function dontUnmapUnlock(mm: AddressSpace, old: Vma): void {
  const vm = mm.vm;
  const fmt = vm.geo.format;
  old.flags &= ~VM_LOCKED_MASK;
  mm.lockedVmStale += old.size / vm.arch.pageSize;
  mm.forEachPteSlot(old.start, old.end, (_va, slot) => {
    const lo = vm.geo.readLo(slot);
    const hi = vm.geo.readHi(slot);
    if (!fmt.present(lo, hi)) return;
    const pfn = fmt.pfn(lo, hi);
    if (pfn !== vm.zeroPfn) vm.munlockPage(pfn);
  });
}

/**
 * `check_prep_vma`: may `[addr, addr + oldLen)` of `vma` become `newLen`
 * bytes (moved or in place)? Duplicating a private mapping (`oldLen` 0) is
 * EINVAL; a range leaving `vma` is EFAULT (for a shrink only the part kept
 * must lie in it); growing checks the page offset (EINVAL),
 * RLIMIT_MEMLOCK (EAGAIN) and RLIMIT_AS / RLIMIT_DATA (ENOMEM). 0 or -errno. A shared anonymous mapping may
 * grow past the end of its object, whose size does not change; the pages
 * there raise SIGBUS (`shmem_fault`).
 */
function checkPrepVma(
  mm: AddressSpace,
  vma: Vma,
  addr: number,
  oldLen: number,
  newLen: number,
): number {
  const page = mm.vm.arch.pageSize;
  // Duplicating a private mapping would make an unrelated one: refused since Linux 4.14.
  if (oldLen === 0 && (vma.flags & (VM_SHARED | VM_MAYSHARE)) === 0) return err('EINVAL');
  // We can't remap across the end of the VMA (a shrink unmaps what it drops).
  if (Math.min(oldLen, newLen) > vma.end - addr) return err('EFAULT');
  if (newLen <= oldLen) return 0;
  const pgoff = vma.pgoff + (addr - vma.start) / page;
  if (pgoff + newLen / page >= 2 ** longBits(mm)) return err('EINVAL');
  if (!mlockFutureOk(mm, vma.flags, newLen - oldLen)) return err('EAGAIN');
  if (!mayExpandVm(mm, vma.flags, (newLen - oldLen) / page)) return err('ENOMEM');
  return 0;
}

/** `vma_expandable`: is the space just after `vma` free for `delta` more bytes? */
function vmaExpandable(mm: AddressSpace, vma: Vma, delta: number): boolean {
  const end = vma.end + delta;
  if (findVmaIntersection(mm, vma.end, end) !== undefined) return false;
  return getUnmappedArea(mm, vma.start, end - vma.start, MAP_FIXED) >= 0;
}

/** A page-table entry to move: where it is and where it goes. */
interface PteMove {
  readonly from: number;
  readonly fromSlot: number;
  readonly to: number;
  readonly toSlot: number;
  readonly lo: number;
  readonly hi: number;
}

/**
 * `move_vma`: places a VMA like `vma` at `newAddr` (`copy_vma`), moves the
 * page-table entries of `[oldAddr, oldAddr + oldLen)` there
 * (`move_page_tables`), and unmaps the old range unless MREMAP_DONTUNMAP.
 * The destination's page tables are allocated before anything changes, so
 * running out of memory for them fails cleanly with ENOMEM.
 */
function moveVma(
  mm: AddressSpace,
  vma: Vma,
  oldAddr: number,
  oldLen: number,
  newLen: number,
  newAddr: number,
  flags: number,
): number {
  const vm = mm.vm;
  const page = vm.arch.pageSize;
  const geo = vm.geo;
  const dontUnmap = (flags & MREMAP_DONTUNMAP) !== 0;
  if (mm.vmas.count >= vmTunables(vm).maxMapCount - 3) return err('ENOMEM');
  const toAccount = dontUnmap ? newLen : newLen - oldLen;
  if (
    (vma.flags & VM_ACCOUNT) !== 0 &&
    toAccount > 0 &&
    !vmEnoughMemory(vm, toAccount / page, mm)
  ) {
    return err('ENOMEM');
  }

  // The entries to move, and the destination tables for them.
  const moves: PteMove[] = [];
  let noMemory = false;
  mm.forEachPteSlot(oldAddr, oldAddr + oldLen, (va, slot) => {
    if (noMemory) return;
    const lo = geo.readLo(slot);
    const hi = geo.readHi(slot);
    if ((lo | hi) === 0) return;
    const to = newAddr + (va - oldAddr);
    const toSlot = mm.pteSlot(to, true);
    if (toSlot < 0) noMemory = true;
    else moves.push({ from: va, fromSlot: slot, to, toSlot, lo, hi });
  });
  if (noMemory) return err('ENOMEM');

  // copy_vma: an anonymous VMA never written takes an offset matching its new place, to merge better.
  let pgoff = vma.pgoff + (oldAddr - vma.start) / page;
  if (vma.backing.file === null && vma.backing.shared === null && !hasAnonPages(mm, vma)) {
    pgoff = newAddr / page;
  }
  const oldFlags = vma.flags;
  insertMapping(mm, newAddr, newAddr + newLen, oldFlags, pgoff, vma.backing, vma.name);

  for (const m of moves) {
    geo.write(m.toSlot, m.lo, m.hi);
    vm.flushPage(mm, m.to);
    mm.clearPte(m.fromSlot, m.from);
  }

  if (dontUnmap) {
    const old = mm.vmas.lookup(oldAddr);
    if (old !== undefined && (old.flags & VM_LOCKED) !== 0) dontUnmapUnlock(mm, old);
  } else if (oldLen > 0) {
    unmapRange(mm, oldAddr, oldAddr + oldLen); // cannot fail: the map count was checked
  }
  mm.totalVm += newLen / page;
  mm.updateHiwater();
  if ((oldFlags & VM_LOCKED) !== 0 && newLen > oldLen) {
    populateRange(mm, newAddr + oldLen, newAddr + newLen);
  }
  return newAddr;
}

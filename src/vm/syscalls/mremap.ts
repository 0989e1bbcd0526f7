/**
 * mremap(2): `sys_mremap`, `mremap_to`, `vma_to_resize`, `move_vma` and
 * `move_page_tables` (mm/mremap.c), as Linux had them up to 6.16: the old
 * range must lie in one VMA unless it shrinks in place (Linux 6.17 also
 * lets a same-size MREMAP_FIXED move span several VMAs; mmsim does not).
 *
 * - Shrinking in place unmaps the tail (the tail may span several VMAs).
 * - Growing in place extends the VMA when the space after it is free
 *   (`vma_expandable`), merging with the next VMA if it then matches.
 * - Otherwise, with MREMAP_MAYMOVE, the range moves to a new place
 *   (top-down search) or, with MREMAP_FIXED, to `newAddr` (whatever was
 *   there is unmapped first): a VMA with the same flags and backing is
 *   placed there and the page-table entries move with their pages, so no
 *   page is copied, RSS does not change, and the old addresses fault. With
 *   MREMAP_DONTUNMAP the old VMA stays, empty (it reads back as zero, or as
 *   the shared object's data), and loses VM_LOCKED.
 * - `oldSize` 0 on a shared mapping creates a second mapping of the same
 *   pages (MREMAP_MAYMOVE needed).
 *
 * Errors in the kernel's order: unknown flags, MREMAP_FIXED or
 * MREMAP_DONTUNMAP without MREMAP_MAYMOVE, MREMAP_DONTUNMAP resizing,
 * `oldAddr` unaligned, `newSize` 0 (EINVAL); no VMA at `oldAddr` (EFAULT);
 * for a move to a given address: `newAddr` unaligned or out of range, the
 * ranges overlapping (EINVAL), too close to `vm.max_map_count` (ENOMEM);
 * duplicating a private mapping (EINVAL); the old range leaving its VMA
 * (EFAULT); RLIMIT_MEMLOCK for a locked mapping (EAGAIN); the overcommit
 * charge, no room and no MREMAP_MAYMOVE (ENOMEM).
 *
 * mmsim's one addition: a shared anonymous mapping cannot grow past the end
 * of its object (EINVAL). Linux lets it and raises SIGBUS on access there,
 * which needs the object's size checked in the fault handler.
 */
import type { AddressSpace } from '../address-space.js';
import { MAP_FIXED, MAP_SHARED } from '../mman.js';
import { VM_ACCOUNT, VM_LOCKED, VM_MAYSHARE, VM_SHARED, type Vma } from '../vma.js';
import {
  err,
  findVmaIntersection,
  getUnmappedArea,
  hasAnonPages,
  insertMapping,
  longBits,
  mlockFutureOk,
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
  if ((uflags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) !== 0) return err('EINVAL');
  const mayMove = (uflags & MREMAP_MAYMOVE) !== 0;
  if ((uflags & MREMAP_FIXED) !== 0 && !mayMove) return err('EINVAL');
  if ((uflags & MREMAP_DONTUNMAP) !== 0 && (!mayMove || uold !== unew)) return err('EINVAL');
  if (addr % page !== 0) return err('EINVAL');
  const oldLen = pageAlign(uold, page, bits);
  const newLen = pageAlign(unew, page, bits);
  if (newLen === 0) return err('EINVAL');

  const vma = mm.vmas.lookup(addr);
  if (vma === undefined) return err('EFAULT');
  if ((uflags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) !== 0) {
    return mremapTo(mm, addr, oldLen, target, newLen, uflags);
  }
  // Always allow a shrinking remap: that just unmaps the unnecessary pages.
  if (oldLen >= newLen) {
    if (oldLen === newLen) return addr;
    const r = doMunmap(mm, addr + newLen, oldLen - newLen);
    return r < 0 ? r : addr;
  }
  // We need to grow.
  const bad = vmaToResize(mm, vma, addr, oldLen, newLen);
  if (bad < 0) return bad;
  if (oldLen === vma.end - addr && vmaExpandable(mm, vma, newLen - oldLen)) {
    const pages = (newLen - oldLen) / page;
    if ((vma.flags & VM_ACCOUNT) !== 0 && !vmEnoughMemory(mm.vm, pages)) return err('ENOMEM');
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

/** `mremap_to`: a move to `newAddr` (MREMAP_FIXED), or a MREMAP_DONTUNMAP move anywhere. */
function mremapTo(
  mm: AddressSpace,
  addr: number,
  oldLen: number,
  newAddr: number,
  newLen: number,
  flags: number,
): number {
  const page = mm.vm.arch.pageSize;
  const fixed = (flags & MREMAP_FIXED) !== 0;
  if (newAddr % page !== 0) return err('EINVAL');
  if (newLen > mm.taskSize || newAddr > mm.taskSize - newLen) return err('EINVAL');
  // The old and new ranges may not overlap.
  if (addr + oldLen > newAddr && newAddr + newLen > addr) return err('EINVAL');
  // move_vma needs the map count well below the limit: the unmaps may split.
  if (mm.vmas.count + 2 >= vmTunables(mm.vm).maxMapCount - 3) return err('ENOMEM');
  if (fixed) {
    const r = doMunmap(mm, newAddr, newLen);
    if (r < 0) return r;
  }
  if (oldLen > newLen) {
    const r = doMunmap(mm, addr + newLen, oldLen - newLen);
    if (r < 0) return r;
    oldLen = newLen;
  }
  const vma = mm.vmas.lookup(addr);
  if (vma === undefined) return err('EFAULT');
  const bad = vmaToResize(mm, vma, addr, oldLen, newLen);
  if (bad < 0) return bad;
  let mapFlags = fixed ? MAP_FIXED : 0;
  if ((vma.flags & VM_MAYSHARE) !== 0) mapFlags |= MAP_SHARED;
  const dest = getUnmappedArea(mm, newAddr, newLen, mapFlags);
  if (dest < 0) return dest;
  return moveVma(mm, vma, addr, oldLen, newLen, fixed ? newAddr : dest, flags);
}

/** `vma_to_resize`: may `[addr, addr + oldLen)` of `vma` become `newLen` bytes? 0 or -errno. */
function vmaToResize(
  mm: AddressSpace,
  vma: Vma,
  addr: number,
  oldLen: number,
  newLen: number,
): number {
  const page = mm.vm.arch.pageSize;
  // Duplicating a private mapping would make an unrelated one: refused since Linux 4.14.
  if (oldLen === 0 && (vma.flags & (VM_SHARED | VM_MAYSHARE)) === 0) return err('EINVAL');
  // We can't remap across VMA boundaries.
  if (oldLen > vma.end - addr) return err('EFAULT');
  if (newLen === oldLen) return 0;
  const pgoff = vma.pgoff + (addr - vma.start) / page;
  if (pgoff + newLen / page >= 2 ** longBits(mm)) return err('EINVAL');
  if ((vma.flags & VM_LOCKED) !== 0 && !mlockFutureOk(mm, newLen - oldLen)) return err('EAGAIN');
  const shared = vma.backing.shared;
  if (shared !== null && pgoff + newLen / page > shared.size) return err('EINVAL');
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
  if ((vma.flags & VM_ACCOUNT) !== 0 && toAccount > 0 && !vmEnoughMemory(vm, toAccount / page)) {
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
    if (old !== undefined) old.flags &= ~VM_LOCKED;
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

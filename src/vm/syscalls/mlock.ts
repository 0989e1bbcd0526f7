/**
 * mlock(2), mlock2(2), munlock(2), mlockall(2), munlockall(2):
 * `do_mlock`, `apply_vma_lock_flags`, `mlock_fixup`,
 * `mlock_vma_pages_range`, `apply_mlockall_flags` and `__mm_populate`
 * (mm/mlock.c, mm/gup.c of Linux 6.18). The page side (PG_mlocked, the
 * mlock counts, the unevictable list) is page-mlock.ts.
 *
 * Checks, in the kernel's order (measured on Linux 6.18 as root and
 * without CAP_IPC_LOCK):
 *
 * - mlock2: flags other than MLOCK_ONFAULT (EINVAL), then as mlock.
 * - mlock: no CAP_IPC_LOCK and a RLIMIT_MEMLOCK of 0 (`can_do_mlock`:
 *   EPERM, even for a length of 0 or an unmapped range); the range is
 *   widened to whole pages (`len + offset` rounded up, in unsigned
 *   arithmetic: a length that wraps to 0 locks nothing and succeeds); no
 *   CAP_IPC_LOCK and `locked_vm` plus the new pages (less those of the
 *   range already locked, `count_mm_mlocked_page_nr`) past RLIMIT_MEMLOCK
 *   (ENOMEM); the end wrapping past the top of the address space (EINVAL);
 *   a start or a gap in the range with no VMA (ENOMEM).
 * - munlock: as mlock with neither the EPERM nor the limit check.
 * - mlockall: flags 0, unknown, or MCL_ONFAULT alone (EINVAL);
 *   `can_do_mlock` (EPERM); with MCL_CURRENT, no CAP_IPC_LOCK and
 *   `total_vm` past RLIMIT_MEMLOCK (ENOMEM). munlockall never fails.
 *
 * Linux applies mlock VMA by VMA and can leave the VMAs before a gap
 * locked when it returns ENOMEM for the gap; mmsim finds the gap first and
 * changes nothing (as its mprotect does), and undoes the splits if the map
 * count runs out.
 *
 * The change (`mlock_fixup`): each VMA of the range gets VM_LOCKED (and
 * VM_LOCKONFAULT for MLOCK_ONFAULT / MCL_ONFAULT) or loses both, split
 * where the range cuts it and merged with neighbours that now match
 * (`vma_modify_flags`), so /proc/<pid>/maps shows the pieces. A VMA that
 * becomes locked has its present pages mlocked at once
 * (`mlock_vma_pages_range`), one that becomes unlocked has them munlocked;
 * switching between VM_LOCKED and VM_LOCKED|VM_LOCKONFAULT touches no page.
 * `locked_vm` (VmLck) follows the VMAs.
 *
 * Then mlock and mlock2 fault the range in (`__mm_populate` without
 * ignoring errors): VM_LOCKONFAULT VMAs are skipped (their pages are
 * mlocked as they fault in), private writable memory takes write faults
 * (breaking copy-on-write), other memory read faults (anonymous private
 * memory then maps the zero page, which is never mlocked). A PROT_NONE VMA
 * stops the population with EFAULT, which mlock reports as ENOMEM with the
 * range left locked (measured: Linux 6.18 does the same); a fault that
 * runs out of memory is EAGAIN. mlockall(MCL_CURRENT) populates every VMA
 * and ignores such errors. mlockall(MCL_FUTURE) sets `mm.defFlags`, which
 * later mmap and brk calls add to their VMAs (mmap.ts, brk.ts); a call
 * without MCL_FUTURE, and munlockall, clear it. Neither the locks nor
 * MCL_FUTURE are inherited across fork.
 */
import type { AddressSpace } from '../address-space.js';
import { MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT, MLOCK_ONFAULT } from '../mman.js';
import type { Process } from '../process.js';
import { mmCapIpcLock, mmRlimit, RLIM_INFINITY, RLIMIT_MEMLOCK } from '../resource.js';
import { VM_LOCKED, VM_LOCKED_MASK, VM_LOCKONFAULT, VM_SHARED, VM_WRITE } from '../vma.js';
import { canDoMlock, countMlockedPages, lockedVm } from './vm-limits.js';
import {
  err,
  faultInRange,
  longBits,
  modifyVmaFlags,
  pageAlign,
  populateRange,
  restoreVmas,
  snapshotVmas,
  toIntBits,
  toUlong,
  VM_ACCESS_FLAGS,
} from './vma-ops.js';

/** A stretch of one VMA whose lock flags change. */
interface LockPiece {
  readonly start: number;
  readonly end: number;
  readonly oldFlags: number;
  readonly newFlags: number;
}

/**
 * `mlock_fixup` over `[start, end)`: gives each VMA piece the flags
 * `change(oldFlags)` returns (splitting and merging), then mlocks or
 * munlocks the present pages of the pieces whose VM_LOCKED changed. The
 * range holds no gap. Returns 0, or -ENOMEM with nothing changed when a
 * split would pass `vm.max_map_count`.
 */
function mlockFixup(
  mm: AddressSpace,
  start: number,
  end: number,
  change: (oldFlags: number) => number,
): number {
  const pieces: LockPiece[] = [];
  for (const vma of mm.vmas.overlapping(start, end)) {
    const newFlags = change(vma.flags);
    if (newFlags === vma.flags) continue;
    pieces.push({
      start: Math.max(start, vma.start),
      end: Math.min(end, vma.end),
      oldFlags: vma.flags,
      newFlags,
    });
  }
  if (pieces.length === 0) return 0;
  const snap = snapshotVmas(mm, start, end);
  for (const piece of pieces) {
    const vma = mm.vmas.lookup(piece.start);
    if (vma === undefined || vma.flags === piece.newFlags) continue; // merged into already
    const r = modifyVmaFlags(mm, vma, piece.start, piece.end, piece.newFlags);
    if (typeof r === 'number') {
      restoreVmas(mm, snap);
      return r;
    }
  }
  for (const piece of pieces) {
    const locking = (piece.newFlags & VM_LOCKED) !== 0;
    if (locking === ((piece.oldFlags & VM_LOCKED) !== 0)) continue; // mlocking twice would be wrong
    mlockVmaPages(mm, piece.start, piece.end, locking);
  }
  return 0;
}

/**
 * `mlock_vma_pages_range`: each present page of `[start, end)` (not the
 * zero page) gains an mlock (`mlock_folio`) or gives one up (`munlock_folio`).
 */
function mlockVmaPages(mm: AddressSpace, start: number, end: number, lock: boolean): void {
  const vm = mm.vm;
  const geo = vm.geo;
  const fmt = geo.format;
  mm.forEachPteSlot(start, end, (_va, slot) => {
    const lo = geo.readLo(slot);
    const hi = geo.readHi(slot);
    if (!fmt.present(lo, hi)) return;
    const pfn = fmt.pfn(lo, hi);
    if (pfn === vm.zeroPfn) return;
    if (lock) vm.mlock.mlockFolio(pfn);
    else vm.mlock.munlockFolio(pfn);
  });
}

/**
 * `apply_vma_lock_flags`: the lock flags of `[start, start + len)` become
 * `flags` (0, VM_LOCKED, or VM_LOCKED|VM_LOCKONFAULT). 0 or -errno.
 */
function applyVmaLockFlags(mm: AddressSpace, start: number, len: number, flags: number): number {
  const end = start + len;
  if (end >= 2 ** longBits(mm)) return err('EINVAL'); // end < start in unsigned arithmetic
  if (len === 0) return 0;
  const first = mm.vmas.lookup(start);
  if (first === undefined) return err('ENOMEM');
  // Every address of the range must be mapped (found before anything changes).
  let tmp = first.start;
  for (const vma of mm.vmas.overlapping(start, end)) {
    if (vma.start !== tmp) return err('ENOMEM');
    tmp = vma.end;
  }
  if (tmp < end) return err('ENOMEM');
  return mlockFixup(mm, start, end, (old) => (old & ~VM_LOCKED_MASK) | flags);
}

/**
 * `__mm_populate(start, len, 0)`: faults in every VMA of the range that
 * does not lock on fault. 0, -EFAULT (a PROT_NONE VMA, or a fault that
 * would raise a signal) or -ENOMEM (out of memory).
 */
function mlockPopulate(mm: AddressSpace, start: number, end: number): number {
  for (const vma of mm.vmas.overlapping(start, end)) {
    if ((vma.flags & VM_LOCKONFAULT) !== 0) continue;
    // populate_vma_page_range uses FOLL_FORCE only on accessible VMAs: check_vma_flags refuses PROT_NONE.
    if ((vma.flags & VM_ACCESS_FLAGS) === 0) return err('EFAULT');
    const write = (vma.flags & (VM_WRITE | VM_SHARED)) === VM_WRITE;
    const r = faultInRange(mm, Math.max(start, vma.start), Math.min(end, vma.end), write);
    if (r !== 0) return r;
  }
  return 0;
}

/** `__mlock_posix_error_return`: EFAULT from the population is ENOMEM, ENOMEM is EAGAIN. */
function posixError(r: number): number {
  if (r === err('EFAULT')) return err('ENOMEM');
  if (r === err('ENOMEM')) return err('EAGAIN');
  return r;
}

/**
 * `PAGE_ALIGN(len + offset_in_page(start))` and `start & PAGE_MASK`, in
 * `unsigned long` arithmetic. Null when an argument is no register value.
 */
function lockRange(
  mm: AddressSpace,
  addr: number,
  len: number,
): { start: number; len: number } | null {
  const bits = longBits(mm);
  const page = mm.vm.arch.pageSize;
  const ustart = toUlong(addr, bits);
  const ulen = toUlong(len, bits);
  if (ustart === null || ulen === null) return null;
  const offset = ustart % page;
  // len + offset wraps like an unsigned long: from the signed value when
  // negative, which stays exact (-1 + 100 is 99, one page, as measured).
  let total: number;
  if (len < 0) total = len + offset >= 0 ? len + offset : ulen + offset;
  else total = ulen + offset >= 2 ** bits ? ulen + offset - 2 ** bits : ulen + offset;
  return { start: ustart - offset, len: pageAlign(total, page, bits) };
}

/** `do_mlock`: locks `[addr, addr + len)` with VMA flags `flags`. 0 or -errno. */
function doMlock(mm: AddressSpace, addr: number, len: number, flags: number): number {
  const range = lockRange(mm, addr, len);
  if (range === null) return err('EINVAL');
  if (!canDoMlock(mm)) return err('EPERM');
  const page = mm.vm.arch.pageSize;
  const limit = mmRlimit(mm, RLIMIT_MEMLOCK);
  if (!mmCapIpcLock(mm) && limit !== RLIM_INFINITY) {
    const limitPages = Math.floor(limit / page);
    let locked = range.len / page + lockedVm(mm);
    // What the range already has locked is not counted twice.
    if (locked > limitPages) locked -= countMlockedPages(mm, range.start, range.len);
    if (locked > limitPages) return err('ENOMEM');
  }
  const r = applyVmaLockFlags(mm, range.start, range.len, flags);
  if (r !== 0) return r;
  return posixError(mlockPopulate(mm, range.start, range.start + range.len));
}

/** mlock(2): locks the pages of `[addr, addr + len)` in memory, faulting them in. 0 or -errno. */
export function sysMlock(p: Process, addr: number, len: number): number {
  return doMlock(p.mm, addr, len, VM_LOCKED);
}

/** mlock2(2): mlock, or with MLOCK_ONFAULT lock the pages only as they fault in. 0 or -errno. */
export function sysMlock2(p: Process, addr: number, len: number, flags: number): number {
  const uflags = toIntBits(flags);
  if (uflags === null || (uflags & ~MLOCK_ONFAULT) !== 0) return err('EINVAL');
  const vmFlags = (uflags & MLOCK_ONFAULT) !== 0 ? VM_LOCKED | VM_LOCKONFAULT : VM_LOCKED;
  return doMlock(p.mm, addr, len, vmFlags);
}

/** munlock(2): unlocks the pages of `[addr, addr + len)`. 0 or -errno. */
export function sysMunlock(p: Process, addr: number, len: number): number {
  const range = lockRange(p.mm, addr, len);
  if (range === null) return err('EINVAL');
  return applyVmaLockFlags(p.mm, range.start, range.len, 0);
}

/** `apply_mlockall_flags`: `mm.defFlags` and the lock flags of every VMA, for `flags` (0: munlockall). */
function applyMlockallFlags(mm: AddressSpace, flags: number): void {
  mm.defFlags &= ~VM_LOCKED_MASK;
  if ((flags & MCL_FUTURE) !== 0) {
    mm.defFlags |= VM_LOCKED;
    if ((flags & MCL_ONFAULT) !== 0) mm.defFlags |= VM_LOCKONFAULT;
    if ((flags & MCL_CURRENT) === 0) return;
  }
  let toAdd = 0;
  if ((flags & MCL_CURRENT) !== 0) {
    toAdd = VM_LOCKED;
    if ((flags & MCL_ONFAULT) !== 0) toAdd |= VM_LOCKONFAULT;
  }
  // Whole VMAs: nothing splits, so this cannot fail.
  mlockFixup(mm, 0, mm.taskSize, (old) => (old & ~VM_LOCKED_MASK) | toAdd);
}

/** mlockall(2): locks every mapping (MCL_CURRENT) and/or every future one (MCL_FUTURE). 0 or -errno. */
export function sysMlockall(p: Process, flags: number): number {
  const mm = p.mm;
  const uflags = toIntBits(flags);
  if (
    uflags === null ||
    uflags === 0 ||
    (uflags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) !== 0 ||
    uflags === MCL_ONFAULT
  ) {
    return err('EINVAL');
  }
  if (!canDoMlock(mm)) return err('EPERM');
  const limit = mmRlimit(mm, RLIMIT_MEMLOCK);
  if (
    (uflags & MCL_CURRENT) !== 0 &&
    !mmCapIpcLock(mm) &&
    limit !== RLIM_INFINITY &&
    mm.totalVm > Math.floor(limit / mm.vm.arch.pageSize)
  ) {
    return err('ENOMEM');
  }
  applyMlockallFlags(mm, uflags);
  if ((uflags & MCL_CURRENT) !== 0) populateRange(mm, 0, mm.taskSize); // mm_populate: errors ignored
  return 0;
}

/** munlockall(2): unlocks every mapping and cancels MCL_FUTURE. Always 0. */
export function sysMunlockall(p: Process): number {
  applyMlockallFlags(p.mm, 0);
  return 0;
}

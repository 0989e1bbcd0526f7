/**
 * brk(2): `sys_brk` and `do_brk_flags` (mm/mmap.c of Linux 6.x).
 *
 * The system call returns the new program break on success and the
 * unchanged break on any failure (the C library turns that into 0 or -1).
 * `mm.brk` keeps the exact value asked for; the heap VMA covers
 * `[startBrk, PAGE_ALIGN(brk))`.
 *
 * - Below `mm.startBrk`: refused; so is a break that puts the heap and the
 *   data segment past RLIMIT_DATA (`check_data_rlimit`, checked before the
 *   shrink test: a lowered limit refuses a shrink too).
 * - Within the same page as the current break: only `mm.brk` moves.
 * - Shrinking: the pages above the new break are unmapped (munmap), which
 *   gives their frames back. It needs some VMA in the range to unmap.
 * - Growing: refused if the new end leaves less than one page below the
 *   next mapping (or below the guard gap of a stack), if the range leaves
 *   user space, past RLIMIT_MEMLOCK after mlockall(MCL_FUTURE), past
 *   RLIMIT_AS or RLIMIT_DATA (`may_expand_vm`), at `vm.max_map_count`, or
 *   when the overcommit charge fails; otherwise the `[heap]` VMA
 *   (VM_READ|VM_WRITE|VM_MAYREAD|VM_MAYWRITE|VM_MAYEXEC|VM_ACCOUNT, and
 *   `mm.defFlags`) is extended, or created when there is none to extend.
 *   Pages arrive on first touch (demand zero), or at once when the heap is
 *   locked by MCL_FUTURE (without MCL_ONFAULT).
 */
import type { AddressSpace } from '../address-space.js';
import { MAP_FIXED } from '../mman.js';
import { mmRlimit, RLIM_INFINITY, RLIMIT_DATA } from '../resource.js';
import {
  VM_ACCOUNT,
  VM_LOCKED,
  VM_MAYEXEC,
  VM_MAYREAD,
  VM_MAYWRITE,
  VM_READ,
  VM_WRITE,
  Vma,
} from '../vma.js';
import { mayExpandVm, mlockFutureOk } from './vm-limits.js';
import {
  canMergeAfter,
  findVmaIntersection,
  getUnmappedArea,
  longBits,
  pageAlign,
  populateRange,
  STACK_GUARD_GAP_PAGES,
  toUlong,
  unmapRange,
  vmEnoughMemory,
  vmStartGap,
  vmTunables,
} from './vma-ops.js';

/** The name /proc/<pid>/maps gives the heap. */
const HEAP = '[heap]';

/** Flags of the brk heap: `VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT`. */
export const BRK_VM_FLAGS = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_ACCOUNT;

/** The VMA `vma_prev_limit(vmi, start_brk)` finds from `addr`: the last one below `addr` reaching above `startBrk`. */
function brkVmaBelow(mm: AddressSpace, addr: number): Vma | undefined {
  const at = mm.vmas.findVma(addr);
  const prev = at !== undefined ? mm.vmas.prev(at) : mm.vmas.all().at(-1);
  return prev !== undefined && prev.end > mm.startBrk && prev.end <= addr ? prev : undefined;
}

/**
 * `do_brk_flags`: maps `[addr, addr + len)` as heap, with `mm.defFlags`
 * (VM_LOCKED after mlockall(MCL_FUTURE)). False when refused: RLIMIT_AS or
 * RLIMIT_DATA (`may_expand_vm`), the map count, the overcommit charge.
 */
function doBrkFlags(mm: AddressSpace, brkVma: Vma | undefined, addr: number, len: number): boolean {
  const page = mm.vm.arch.pageSize;
  const pages = len / page;
  const flags = BRK_VM_FLAGS | mm.defFlags;
  if (!mayExpandVm(mm, flags, pages)) return false;
  if (mm.vmas.count > vmTunables(mm.vm).maxMapCount) return false;
  if (!vmEnoughMemory(mm.vm, pages, mm)) return false;
  const backing = { file: null, shared: null };
  if (
    brkVma !== undefined &&
    brkVma.end === addr &&
    canMergeAfter(brkVma, flags, backing, HEAP, addr / page, page)
  ) {
    brkVma.end = addr + len; // vma_merge_new_range, just_expand: only the VMA below may grow
  } else {
    mm.vmas.insert(new Vma(addr, addr + len, flags, addr / page, backing, HEAP));
  }
  mm.totalVm += pages;
  mm.updateHiwater();
  return true;
}

/** brk(2): the new break, or the current one when the request is refused. */
export function sysBrk(mm: AddressSpace, brk: number): number {
  const bits = longBits(mm);
  const page = mm.vm.arch.pageSize;
  const origbrk = mm.brk;
  const want = toUlong(brk, bits);
  if (want === null || want < mm.startBrk) return origbrk;
  // check_data_rlimit, before anything else, even for a shrink.
  const dataLimit = mmRlimit(mm, RLIMIT_DATA);
  if (dataLimit !== RLIM_INFINITY && want - mm.startBrk + (mm.endData - mm.startData) > dataLimit) {
    return origbrk;
  }
  const newbrk = pageAlign(want, page, bits);
  const oldbrk = pageAlign(mm.brk, page, bits);
  if (newbrk === 0) return origbrk; // rounding up wrapped: no such address
  if (oldbrk === newbrk) {
    mm.brk = want;
    return want;
  }
  if (want <= mm.brk) {
    // Always allow shrinking brk, if there is a heap to shrink.
    if (findVmaIntersection(mm, newbrk, oldbrk) === undefined) return origbrk;
    if (unmapRange(mm, newbrk, oldbrk) < 0) return origbrk;
    mm.brk = want;
    return want;
  }
  // check_brk_limits: the range must be a valid MAP_FIXED range and, after
  // mlockall(MCL_FUTURE), fit RLIMIT_MEMLOCK.
  if (getUnmappedArea(mm, oldbrk, newbrk - oldbrk, MAP_FIXED) < 0) return origbrk;
  if (!mlockFutureOk(mm, mm.defFlags, newbrk - oldbrk)) return origbrk;
  // Leave a page, and a stack's guard gap, below the next mapping.
  const next = findVmaIntersection(mm, oldbrk, newbrk + page + STACK_GUARD_GAP_PAGES * page);
  if (next !== undefined && newbrk + page > vmStartGap(next, page)) return origbrk;
  if (!doBrkFlags(mm, brkVmaBelow(mm, oldbrk), oldbrk, newbrk - oldbrk)) return origbrk;
  mm.brk = want;
  // A locked heap (MCL_FUTURE) is populated (mm_populate; not with MCL_ONFAULT).
  if ((mm.defFlags & VM_LOCKED) !== 0) populateRange(mm, oldbrk, newbrk);
  return want;
}

/**
 * brk(2): `sys_brk` and `do_brk_flags` (mm/mmap.c of Linux 6.x).
 *
 * The system call returns the new program break on success and the
 * unchanged break on any failure (the C library turns that into 0 or -1).
 * `mm.brk` keeps the exact value asked for; the heap VMA covers
 * `[startBrk, PAGE_ALIGN(brk))`.
 *
 * - Below `mm.startBrk`: refused.
 * - Within the same page as the current break: only `mm.brk` moves.
 * - Shrinking: the pages above the new break are unmapped (munmap), which
 *   gives their frames back. It needs some VMA in the range to unmap.
 * - Growing: refused if the new end leaves less than one page below the
 *   next mapping (or below the guard gap of a stack), if the range leaves
 *   user space, at `vm.max_map_count`, or when the overcommit charge fails;
 *   otherwise the `[heap]` VMA (VM_READ|VM_WRITE|VM_MAYREAD|VM_MAYWRITE|
 *   VM_MAYEXEC|VM_ACCOUNT) is extended, or created when there is none to
 *   extend. Pages arrive on first touch (demand zero).
 */
import type { AddressSpace } from '../address-space.js';
import { MAP_FIXED } from '../mman.js';
import { VM_ACCOUNT, VM_MAYEXEC, VM_MAYREAD, VM_MAYWRITE, VM_READ, VM_WRITE, Vma } from '../vma.js';
import {
  canMergeAfter,
  findVmaIntersection,
  getUnmappedArea,
  longBits,
  pageAlign,
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

/** `do_brk_flags`: maps `[addr, addr + len)` as heap. False when refused. */
function doBrkFlags(mm: AddressSpace, brkVma: Vma | undefined, addr: number, len: number): boolean {
  const page = mm.vm.arch.pageSize;
  const pages = len / page;
  if (mm.vmas.count > vmTunables(mm.vm).maxMapCount) return false;
  if (!vmEnoughMemory(mm.vm, pages)) return false;
  const backing = { file: null, shared: null };
  if (
    brkVma !== undefined &&
    brkVma.end === addr &&
    canMergeAfter(brkVma, BRK_VM_FLAGS, backing, HEAP, addr / page, page)
  ) {
    brkVma.end = addr + len; // vma_merge_new_range, just_expand: only the VMA below may grow
  } else {
    mm.vmas.insert(new Vma(addr, addr + len, BRK_VM_FLAGS, addr / page, backing, HEAP));
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
  // check_brk_limits: the range must be a valid MAP_FIXED range.
  if (getUnmappedArea(mm, oldbrk, newbrk - oldbrk, MAP_FIXED) < 0) return origbrk;
  // Leave a page, and a stack's guard gap, below the next mapping.
  const next = findVmaIntersection(mm, oldbrk, newbrk + page + STACK_GUARD_GAP_PAGES * page);
  if (next !== undefined && newbrk + page > vmStartGap(next, page)) return origbrk;
  if (!doBrkFlags(mm, brkVmaBelow(mm, oldbrk), oldbrk, newbrk - oldbrk)) return origbrk;
  mm.brk = want;
  return want;
}

/**
 * The resource-limit checks of the memory system calls (mm/mmap.c,
 * mm/mlock.c of Linux 6.18):
 *
 * - `may_expand_vm`: RLIMIT_AS bounds `total_vm`, and RLIMIT_DATA bounds
 *   `data_vm`, the private writable non-stack pages (`is_data_mapping`).
 *   Going past RLIMIT_DATA logs, once per boot, the warning Linux prints
 *   ("VmData ... exceed data ulimit ..."), and a RLIMIT_DATA of 0 with a
 *   larger hard limit is let through (Linux's workaround for Valgrind).
 * - `mlock_future_ok`: locking more memory keeps `locked_vm` within
 *   RLIMIT_MEMLOCK, unless the process has CAP_IPC_LOCK.
 * - `can_do_mlock`: a memory lock is allowed at all: CAP_IPC_LOCK, or a
 *   RLIMIT_MEMLOCK other than 0 (EPERM otherwise).
 *
 * Linux keeps `total_vm`, `data_vm` and `locked_vm` as running counters;
 * mmsim keeps `total_vm` and sums the VMAs for the other two when a check
 * needs them, which happens only when the limit is finite (the default
 * RLIMIT_DATA is unlimited) or the mapping is locked. `locked_vm` is the
 * VM_LOCKED VMAs' pages plus the pages a MREMAP_DONTUNMAP move left
 * counted (`AddressSpace.lockedVmStale`).
 */
import { LogLevel } from '../../page/kernel-log.js';
import { checkCount, checkInteger } from '../../page/validate.js';
import type { AddressSpace } from '../address-space.js';
import {
  mmCapIpcLock,
  mmRlimit,
  mmRlimitMax,
  RLIM_INFINITY,
  RLIMIT_AS,
  RLIMIT_DATA,
  RLIMIT_MEMLOCK,
} from '../resource.js';
import { VM_LOCKED, VM_SHARED, VM_STACK, VM_WRITE } from '../vma.js';

/** `is_data_mapping`: private, writable and not a stack. */
export function isDataMapping(flags: number): boolean {
  checkInteger('isDataMapping', 'flags', flags);
  return (flags & (VM_WRITE | VM_SHARED | VM_STACK)) === VM_WRITE;
}

/** `mm->data_vm`: pages of the data mappings. */
export function dataVm(mm: AddressSpace): number {
  const page = mm.vm.arch.pageSize;
  let pages = 0;
  for (const vma of mm.vmas.all()) if (isDataMapping(vma.flags)) pages += vma.size / page;
  return pages;
}

/** `mm->locked_vm`: pages of the VM_LOCKED VMAs, plus what MREMAP_DONTUNMAP left counted. */
export function lockedVm(mm: AddressSpace): number {
  const page = mm.vm.arch.pageSize;
  let pages = mm.lockedVmStale;
  for (const vma of mm.vmas.all()) if ((vma.flags & VM_LOCKED) !== 0) pages += vma.size / page;
  return pages;
}

/** A limit in bytes as pages (`rlimit(...) >> PAGE_SHIFT`). */
function limitPages(limit: number, pageSize: number): number {
  return limit === RLIM_INFINITY ? Number.POSITIVE_INFINITY : Math.floor(limit / pageSize);
}

/**
 * `may_expand_vm`: may `mm` map `npages` more pages with VMA flags `flags`?
 * False past RLIMIT_AS, or past RLIMIT_DATA for a data mapping (which
 * logs the `pr_warn_once` warning).
 */
export function mayExpandVm(mm: AddressSpace, flags: number, npages: number): boolean {
  checkInteger('mayExpandVm', 'flags', flags);
  checkCount('mayExpandVm', 'npages', npages);
  const page = mm.vm.arch.pageSize;
  const as = mmRlimit(mm, RLIMIT_AS);
  if (as !== RLIM_INFINITY && mm.totalVm + npages > limitPages(as, page)) return false;
  if (!isDataMapping(flags)) return true;
  const data = mmRlimit(mm, RLIMIT_DATA);
  if (data === RLIM_INFINITY) return true;
  const wanted = dataVm(mm) + npages;
  if (wanted <= limitPages(data, page)) return true;
  // Workaround for Valgrind, which sets a soft limit of 0.
  if (data === 0 && wanted <= limitPages(mmRlimitMax(mm, RLIMIT_DATA), page)) return true;
  warnDataLimit(mm, wanted * page);
  return false;
}

/** The `pr_warn_once` of `may_expand_vm` (mm/mmap.c's messages are prefixed `mmap: `). */
function warnDataLimit(mm: AddressSpace, bytes: number): void {
  const vm = mm.vm;
  if (vm.warnedOnce.has('may_expand_vm')) return;
  vm.warnedOnce.add('may_expand_vm');
  const task = vm.current ?? mm.owner;
  const comm = (task?.name ?? '').slice(0, 15);
  const limit = task?.rlimits.curBits(RLIMIT_DATA) ?? 0n;
  vm.buddy.log.printk(
    LogLevel.WARNING,
    `mmap: ${comm} (${task?.pid ?? 0}): VmData ${bytes} exceed data ulimit ${limit}. Update limits or use boot option ignore_rlimit_data.`,
  );
}

/**
 * `mlock_future_ok`: may `mm` lock `bytes` more (for a mapping with VMA
 * flags `flags`)? Always, unless the flags hold VM_LOCKED and the process
 * lacks CAP_IPC_LOCK; then `locked_vm` must stay within RLIMIT_MEMLOCK.
 */
export function mlockFutureOk(mm: AddressSpace, flags: number, bytes: number): boolean {
  checkInteger('mlockFutureOk', 'flags', flags);
  checkCount('mlockFutureOk', 'bytes', bytes);
  if ((flags & VM_LOCKED) === 0 || mmCapIpcLock(mm)) return true;
  const page = mm.vm.arch.pageSize;
  const limit = mmRlimit(mm, RLIMIT_MEMLOCK);
  if (limit === RLIM_INFINITY) return true;
  return Math.floor(bytes / page) + lockedVm(mm) <= limitPages(limit, page);
}

/** `can_do_mlock`: CAP_IPC_LOCK, or a RLIMIT_MEMLOCK other than 0. */
export function canDoMlock(mm: AddressSpace): boolean {
  return mmRlimit(mm, RLIMIT_MEMLOCK) !== 0 || mmCapIpcLock(mm);
}

/** `count_mm_mlocked_page_nr`: pages of `[start, start + len)` already in VM_LOCKED VMAs. */
export function countMlockedPages(mm: AddressSpace, start: number, len: number): number {
  const end = start + len;
  let bytes = 0;
  for (const vma of mm.vmas.overlapping(start, end)) {
    if ((vma.flags & VM_LOCKED) === 0) continue;
    bytes += Math.min(end, vma.end) - Math.max(start, vma.start);
  }
  return Math.floor(bytes / mm.vm.arch.pageSize);
}

/** Pages of `[start, end)` some VMA maps (`vms->nr_pages` of what a MAP_FIXED mapping replaces). */
export function mappedPagesIn(mm: AddressSpace, start: number, end: number): number {
  let bytes = 0;
  for (const vma of mm.vmas.overlapping(start, end)) {
    bytes += Math.min(end, vma.end) - Math.max(start, vma.start);
  }
  return bytes / mm.vm.arch.pageSize;
}

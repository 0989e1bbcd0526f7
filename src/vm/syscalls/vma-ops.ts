/**
 * The VMA machinery the memory system calls share (mm/vma.c, mm/mmap.c,
 * mm/gup.c of Linux 6.x):
 *
 * - argument conversion: the kernel sees every argument as a register
 *   (`unsigned long`), so a negative JS number is the two's complement of
 *   its magnitude and a value no register could hold (NaN, a fraction,
 *   Infinity) is refused with EINVAL by the callers;
 * - splitting a VMA at an address (`__split_vma`) and changing the flags of
 *   part of one (`vma_modify_flags`), which merges with a compatible
 *   neighbour instead of splitting when it can (`vma_merge_existing_range`);
 * - placing a new mapping (`vma_merge_new_range`, else a new VMA);
 * - unmapping a range (`do_vmi_munmap`);
 * - finding room (`get_unmapped_area`: top-down below `mm.mmapBase`, with a
 *   bottom-up fallback, honouring a free hint);
 * - prefaulting (`populate_vma_page_range`, `faultin_page_range`);
 * - the per-machine tunables Linux keeps in /proc/sys/vm
 *   (`max_map_count`, `mmap_min_addr`, overcommit, swappiness, ...; the
 *   table of them, with their ranges, is sysctl.ts), and
 *   `__vm_enough_memory` (overcommit.ts).
 *
 * Invariants kept here: VMAs never overlap and are page aligned; a
 * `SharedAnon` object's `users` is the number of VMAs (in every address
 * space) that reference it, so a split adds one and a merge or an unmap
 * removes one; `mm.totalVm` is the number of pages the VMAs cover. Two
 * VMAs merge only when they are adjacent, have the same flags (but for the
 * sticky ones, VM_MAYBE_GUARD, which the merged VMA keeps if either had
 * them), name and backing object, and contiguous page offsets
 * (`is_mergeable_vma` and `can_vma_merge_before/after`). A flag change
 * never clears a sticky flag.
 */
import { Errno } from '../../page/errno.js';
import { KernelBug, KernelError } from '../../page/errors.js';
import { checkPageRange, describeValue } from '../../page/validate.js';
import type { AddressSpace } from '../address-space.js';
import { getVmaFile, putVmaFile, syncOnUnmap } from '../fs/file-mapping.js';
import { releaseShared, zapRange } from '../mm-ops.js';
import { MAP_FIXED } from '../mman.js';
import { totalramPages, vmEnoughMemoryFor } from '../overcommit.js';
import { PTE_USER, PTE_WRITE } from '../pte.js';
import type { VmSystem } from '../vm-system.js';
import {
  type SharedAnon,
  VM_ACCOUNT,
  VM_EXEC,
  VM_GROWSDOWN,
  VM_LOCKONFAULT,
  VM_READ,
  VM_SHARED,
  VM_STICKY,
  VM_WRITE,
  Vma,
  type VmaBacking,
} from '../vma.js';

/** `vm.max_map_count`'s default (`DEFAULT_MAX_MAP_COUNT`). */
export const DEFAULT_MAX_MAP_COUNT = 65530;
/** `vm.mmap_min_addr` as distributions set it (`CONFIG_DEFAULT_MMAP_MIN_ADDR`). */
export const DEFAULT_MMAP_MIN_ADDR = 65536;
/** `stack_guard_gap`: 256 pages kept free below a VM_GROWSDOWN mapping. */
export const STACK_GUARD_GAP_PAGES = 256;
/** RLIMIT_MEMLOCK's default since Linux 5.16 (`MLOCK_LIMIT`, the per-process limit in resource.ts): 8 MiB. */
export const DEFAULT_MEMLOCK_LIMIT = 8 * 2 ** 20;
/** `x86_64`'s MAP_32BIT window: `[1 GiB, 2 GiB)`. */
const MAP_32BIT_BASE = 0x40000000;
const MAP_32BIT_END = 0x80000000;

/** `VM_READ | VM_WRITE | VM_EXEC`. */
export const VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;

/**
 * Tunables of one machine's VM, as `/proc/sys/vm` holds them. Processes in
 * mmsim do not have CAP_SYS_RAWIO, so `mmap_min_addr` applies. (RLIMIT_MEMLOCK
 * is a per-process resource limit: see resource.ts.) Change them through
 * `k.sysctl` or `k.writeProc`, which validate as Linux does (sysctl.ts);
 * a value assigned here directly is not checked.
 */
export interface VmTunables {
  /** `vm.max_map_count`: the most VMAs an address space may have. */
  maxMapCount: number;
  /** `vm.mmap_min_addr`: the lowest address a mapping may start at. */
  mmapMinAddr: number;
  /** `vm.overcommit_memory`: 0 heuristic (`OVERCOMMIT_GUESS`), 1 always, 2 strict (`OVERCOMMIT_NEVER`). */
  overcommitMemory: number;
  /** `vm.overcommit_ratio`: the percentage of RAM in `CommitLimit` when `overcommitKbytes` is 0. */
  overcommitRatio: number;
  /** `vm.overcommit_kbytes`: when non-zero, `CommitLimit`'s RAM part in KiB (replaces the ratio). */
  overcommitKbytes: number;
  /** `vm.admin_reserve_kbytes`: kept back from processes without CAP_SYS_ADMIN under strict overcommit. */
  adminReserveKbytes: number;
  /** `vm.user_reserve_kbytes`: the most kept back from one process's own growth under strict overcommit. */
  userReserveKbytes: number;
  /** `vm.swappiness`: the anon share of reclaim scanning, out of 200 (file gets 200 - swappiness). */
  swappiness: number;
  /** `vm.page-cluster`: log2 of the swap readahead window (stored; mmsim does not read ahead on swap faults). */
  pageCluster: number;
  /** `vm.oom_dump_tasks`: the OOM report lists every task when non-zero. */
  oomDumpTasks: number;
  /** `vm.oom_kill_allocating_task`: when non-zero the OOM killer kills the allocating task if it can. */
  oomKillAllocatingTask: number;
}

/** `OVERCOMMIT_GUESS`: refuse only a charge larger than all of RAM and swap. */
export const OVERCOMMIT_GUESS = 0;
/** `OVERCOMMIT_ALWAYS`: never refuse. */
export const OVERCOMMIT_ALWAYS = 1;
/** `OVERCOMMIT_NEVER`: strict accounting against `CommitLimit`. */
export const OVERCOMMIT_NEVER = 2;
/** `vm.swappiness`'s default. */
export const DEFAULT_SWAPPINESS = 60;
/** `vm.page-cluster`'s default (`swap_setup`: 3 on machines with more than 16 MiB). */
export const DEFAULT_PAGE_CLUSTER = 3;

/**
 * The overcommit tunables at boot: ratio 50, no kbytes, and the two
 * reserves `init_user_reserve` and `init_admin_reserve` take as a 32nd of
 * the free memory, capped at 128 MiB and 8 MiB.
 */
function overcommitDefaults(vm: VmSystem): {
  overcommitMemory: number;
  overcommitRatio: number;
  overcommitKbytes: number;
  adminReserveKbytes: number;
  userReserveKbytes: number;
} {
  const freeKbytes = (vm.buddy.nrFreePages() * vm.arch.pageSize) / 1024;
  return {
    overcommitMemory: OVERCOMMIT_GUESS,
    overcommitRatio: 50,
    overcommitKbytes: 0,
    adminReserveKbytes: Math.min(Math.floor(freeKbytes / 32), 8192),
    userReserveKbytes: Math.min(Math.floor(freeKbytes / 32), 131072),
  };
}

interface VmState {
  readonly tunables: VmTunables;
  /** Inode numbers of shared anonymous objects (`get_next_ino`). */
  nextShmemId: number;
}

const states = new WeakMap<VmSystem, VmState>();

function stateOf(vm: VmSystem): VmState {
  let state = states.get(vm);
  if (state === undefined) {
    state = {
      tunables: {
        maxMapCount: DEFAULT_MAX_MAP_COUNT,
        mmapMinAddr: Math.max(DEFAULT_MMAP_MIN_ADDR, vm.arch.pageSize),
        ...overcommitDefaults(vm),
        swappiness: DEFAULT_SWAPPINESS,
        // swap_setup: machines under 16 MiB read ahead 4 pages, others 8.
        pageCluster: totalramPages(vm) * vm.arch.pageSize < 16 * 2 ** 20 ? 2 : DEFAULT_PAGE_CLUSTER,
        oomDumpTasks: 1,
        oomKillAllocatingTask: 0,
      },
      nextShmemId: 1,
    };
    states.set(vm, state);
  }
  return state;
}

/**
 * The VM tunables of a machine (`/proc/sys/vm/max_map_count`, ...). They may
 * be changed, as root would change the sysctls; they apply to later calls.
 */
export function vmTunables(vm: VmSystem): VmTunables {
  return stateOf(vm).tunables;
}

/** A fresh id for a shared anonymous object (the inode number shmem would give). */
export function nextShmemId(vm: VmSystem): number {
  return stateOf(vm).nextShmemId++;
}

// --- arguments -----------------------------------------------------------------

/** The width of `unsigned long` on the machine. */
export function longBits(mm: AddressSpace): 32 | 64 {
  return mm.vm.arch.is64Bit ? 64 : 32;
}

/**
 * The `unsigned long` the kernel would see for a JS number: negative values
 * are two's complement. Null when no register could hold the value (not an
 * integer, or outside `[-2**(bits-1), 2**bits)`).
 */
export function toUlong(x: number, bits: 32 | 64): number | null {
  if (!Number.isInteger(x)) return null;
  const m = 2 ** bits;
  if (x >= m || x < -(m / 2)) return null;
  return x < 0 ? x + m : x;
}

/** An `int` argument as the kernel sees its bits (a 32-bit pattern), or null if no int could hold it. */
export function toIntBits(x: number): number | null {
  if (!Number.isInteger(x) || x < -(2 ** 31) || x >= 2 ** 32) return null;
  return x >>> 0;
}

/** `PAGE_ALIGN` in `unsigned long` arithmetic: 0 when rounding up wraps. */
export function pageAlign(x: number, pageSize: number, bits: 32 | 64): number {
  const up = Math.ceil(x / pageSize) * pageSize;
  return up >= 2 ** bits ? 0 : up;
}

/** `-errno` for an errno name. */
export function err(code: keyof typeof Errno): number {
  return -Errno[code];
}

// --- queries ---------------------------------------------------------------------

/** `vm_start_gap`: where a VMA's reach begins, counting a stack's guard gap. */
export function vmStartGap(vma: Vma, pageSize: number): number {
  if ((vma.flags & VM_GROWSDOWN) === 0) return vma.start;
  const gap = STACK_GUARD_GAP_PAGES * pageSize;
  return vma.start > gap ? vma.start - gap : 0;
}

/** `vm_end_gap` (no VM_GROWSUP architecture is modelled: the end). */
export function vmEndGap(vma: Vma): number {
  return vma.end;
}

/** `find_vma_intersection`: the first VMA overlapping `[start, end)`. */
export function findVmaIntersection(mm: AddressSpace, start: number, end: number): Vma | undefined {
  const vma = mm.vmas.findVma(start);
  return vma !== undefined && vma.start < end ? vma : undefined;
}

/**
 * `__vm_enough_memory` for a charge of `pages` by address space `mm`
 * (`current->mm`; omit it for none): the policy `vm.overcommit_memory`
 * chooses, see overcommit.ts. The caller refuses with ENOMEM when false.
 */
export function vmEnoughMemory(
  vm: VmSystem,
  pages: number,
  mm: AddressSpace | null = null,
): boolean {
  return vmEnoughMemoryFor(vm, pages, mm, vmTunables(vm));
}

/**
 * Whether a private anonymous VMA has anonymous pages, resident or swapped
 * out: then its `anon_vma` exists. (Linux keeps the anon_vma after the
 * pages go; mmsim has none and looks at the page tables.)
 */
export function hasAnonPages(mm: AddressSpace, vma: Vma): boolean {
  const vm = mm.vm;
  const fmt = vm.geo.format;
  let found = false;
  mm.forEachPteSlot(vma.start, vma.end, (_va, slot) => {
    if (found) return;
    const lo = vm.geo.readLo(slot);
    const hi = vm.geo.readHi(slot);
    if ((lo | hi) === 0) return;
    found = !fmt.present(lo, hi) || fmt.pfn(lo, hi) !== vm.zeroPfn;
  });
  return found;
}

// --- merging and splitting ---------------------------------------------------------

function sameBacking(a: VmaBacking, b: VmaBacking): boolean {
  return a.file === b.file && a.shared === b.shared;
}

/**
 * `is_mergeable_vma`'s flag test: equal but for the sticky flags
 * (`VM_IGNORE_MERGE`), which a merge keeps from either side.
 */
function sameMergeFlags(a: number, b: number): boolean {
  return ((a ^ b) & ~VM_STICKY) === 0;
}

/** `can_vma_merge_after`: a range with these attributes, starting at `prev.end` with page offset `pgoff`, may join `prev`. */
export function canMergeAfter(
  prev: Vma,
  flags: number,
  backing: VmaBacking,
  name: string | null,
  pgoff: number,
  pageSize: number,
): boolean {
  return (
    sameMergeFlags(prev.flags, flags) &&
    prev.name === name &&
    sameBacking(prev.backing, backing) &&
    prev.pgoff + prev.size / pageSize === pgoff
  );
}

/** `can_vma_merge_before`: a range with these attributes, ending at `next.start` at page offset `pgoffEnd`, may join `next`. */
function mergeableBefore(
  next: Vma,
  flags: number,
  backing: VmaBacking,
  name: string | null,
  pgoffEnd: number,
): boolean {
  return (
    sameMergeFlags(next.flags, flags) &&
    next.name === name &&
    sameBacking(next.backing, backing) &&
    next.pgoff === pgoffEnd
  );
}

/** A VMA leaves the tree: drop its reference on a shared object or its file. */
function dropVmaRef(mm: AddressSpace, vma: Vma): void {
  const shared = vma.backing.shared;
  if (shared !== null) releaseShared(mm.vm, shared);
  putVmaFile(mm.vm, vma);
}

/**
 * `__split_vma`: cuts `vma` at `addr` (strictly inside it); `vma` keeps
 * `[start, addr)` and the returned new VMA holds `[addr, end)`. The caller
 * has checked the map count.
 */
export function splitVma(mm: AddressSpace, vma: Vma, addr: number): Vma {
  const page = mm.vm.arch.pageSize;
  checkPageRange('splitVma', addr, addr, vma.start + page, vma.end - page, page);
  const upper = vma.clone();
  upper.start = addr;
  upper.pgoff = vma.pgoff + (addr - vma.start) / mm.vm.arch.pageSize;
  vma.end = addr;
  mm.vmas.insert(upper);
  if (upper.backing.shared !== null) upper.backing.shared.users++;
  getVmaFile(upper);
  return upper;
}

/**
 * `vma_modify_flags`: gives `[start, end)` (inside `vma`) the flags
 * `newFlags`, merging with the previous or next VMA when compatible, and
 * otherwise splitting `vma` (each split needs the map count below
 * `vm.max_map_count`: `split_vma`). Returns the VMA that now covers the
 * range, or -ENOMEM with nothing changed.
 */
export function modifyVmaFlags(
  mm: AddressSpace,
  vma: Vma,
  start: number,
  end: number,
  flags: number,
): Vma | number {
  checkPageRange('modifyVmaFlags', start, end, vma.start, vma.end, mm.vm.arch.pageSize);
  if (!Number.isInteger(flags))
    throw new KernelBug(`modifyVmaFlags: flags ${describeValue(flags)} is not an integer`);
  // Sticky flags cannot be taken away by a flag change.
  const newFlags = flags | (vma.flags & VM_STICKY);
  if (newFlags === vma.flags) return vma;
  const page = mm.vm.arch.pageSize;
  const tree = mm.vmas;
  const prev = tree.prev(vma);
  const next = tree.next(vma);
  const pgoffStart = vma.pgoff + (start - vma.start) / page;
  const pgoffEnd = vma.pgoff + (end - vma.start) / page;
  const left =
    start === vma.start &&
    prev !== undefined &&
    prev.end === start &&
    canMergeAfter(prev, newFlags, vma.backing, vma.name, pgoffStart, page);
  const right =
    end === vma.end &&
    next !== undefined &&
    next.start === end &&
    mergeableBefore(next, newFlags, vma.backing, vma.name, pgoffEnd);
  if (left && right) {
    tree.remove(vma);
    tree.remove(next);
    prev.end = next.end;
    prev.flags |= (newFlags | next.flags) & VM_STICKY;
    dropVmaRef(mm, vma);
    dropVmaRef(mm, next);
    return prev;
  }
  if (left) {
    if (end === vma.end) {
      tree.remove(vma);
      prev.end = end;
      dropVmaRef(mm, vma);
    } else {
      vma.start = end;
      vma.pgoff = pgoffEnd;
      prev.end = end;
    }
    prev.flags |= newFlags & VM_STICKY;
    return prev;
  }
  if (right) {
    next.flags |= newFlags & VM_STICKY;
    if (start === vma.start) {
      tree.remove(vma);
      next.start = start;
      next.pgoff = vma.pgoff;
      dropVmaRef(mm, vma);
    } else {
      vma.end = start;
      next.start = start;
      next.pgoff = pgoffStart;
    }
    return next;
  }
  const splits = (start > vma.start ? 1 : 0) + (end < vma.end ? 1 : 0);
  if (splits > 0 && tree.count + splits - 1 >= vmTunables(mm.vm).maxMapCount) return err('ENOMEM');
  const target = start > vma.start ? splitVma(mm, vma, start) : vma;
  if (end < target.end) splitVma(mm, target, end);
  target.flags = newFlags;
  return target;
}

/**
 * Places a new mapping of `[start, end)` (free space) in the tree:
 * `vma_merge_new_range` when a neighbour is compatible, else a new VMA.
 * Returns the VMA that covers it.
 */
export function insertMapping(
  mm: AddressSpace,
  start: number,
  end: number,
  flags: number,
  pgoff: number,
  backing: VmaBacking,
  name: string | null,
): Vma {
  const page = mm.vm.arch.pageSize;
  const tree = mm.vmas;
  const before = start > 0 ? tree.lookup(start - 1) : undefined;
  const after = tree.findVma(start);
  const pgoffEnd = pgoff + (end - start) / page;
  const left =
    before !== undefined &&
    before.end === start &&
    canMergeAfter(before, flags, backing, name, pgoff, page);
  const right =
    after !== undefined &&
    after.start === end &&
    mergeableBefore(after, flags, backing, name, pgoffEnd);
  if (left && right) {
    tree.remove(after);
    before.end = after.end;
    before.flags |= (flags | after.flags) & VM_STICKY;
    dropVmaRef(mm, after);
    return before;
  }
  if (left) {
    before.end = end;
    before.flags |= flags & VM_STICKY;
    return before;
  }
  if (right) {
    after.start = start;
    after.pgoff = pgoff;
    after.flags |= flags & VM_STICKY;
    return after;
  }
  const vma = new Vma(start, end, flags, pgoff, backing, name);
  tree.insert(vma);
  if (backing.shared !== null) backing.shared.users++;
  getVmaFile(vma);
  return vma;
}

/**
 * `do_vmi_munmap` after argument checks: removes every page of
 * `[start, end)` (page aligned) from the address space, splitting the VMAs
 * that straddle its ends. Returns 0, or -ENOMEM (nothing changed) when a
 * hole in the middle of a VMA would take the map count past
 * `vm.max_map_count`.
 */
export function unmapRange(mm: AddressSpace, start: number, end: number): number {
  checkPageRange('unmapRange', start, end, 0, mm.taskSize, mm.vm.arch.pageSize);
  const tree = mm.vmas;
  const first = findVmaIntersection(mm, start, end);
  if (first === undefined) return 0;
  if (first.start < start && end < first.end && tree.count >= vmTunables(mm.vm).maxMapCount) {
    return err('ENOMEM');
  }
  if (first.start < start) splitVma(mm, first, start);
  const victims = tree.overlapping(start, end);
  const last = victims[victims.length - 1];
  if (last !== undefined && last.end > end) splitVma(mm, last, end);
  const page = mm.vm.arch.pageSize;
  mm.updateHiwater();
  for (const vma of victims) {
    zapRange(mm, vma, vma.start, vma.end, true); // unmap_vmas drops guard markers too
    tree.remove(vma);
    syncOnUnmap(mm.vm, vma);
    dropVmaRef(mm, vma);
    mm.totalVm -= vma.size / page;
  }
  return 0;
}

/** Pages of `[start, end)` covered by VM_ACCOUNT VMAs (`vms->nr_accounted`). */
export function accountedPages(mm: AddressSpace, start: number, end: number): number {
  let pages = 0;
  for (const vma of mm.vmas.overlapping(start, end)) {
    if ((vma.flags & VM_ACCOUNT) === 0) continue;
    pages += (Math.min(end, vma.end) - Math.max(start, vma.start)) / mm.vm.arch.pageSize;
  }
  return pages;
}

// --- finding room ------------------------------------------------------------------

/**
 * `vm_unmapped_area` top down: the highest `len` bytes free between `low`
 * and `high` with `startGap` bytes free below them as well, or -1.
 */
function unmappedAreaTopdown(
  mm: AddressSpace,
  len: number,
  startGap: number,
  low: number,
  high: number,
): number {
  const vmas = mm.vmas.all();
  const page = mm.vm.arch.pageSize;
  // The first VMA starting at or above `high` bounds the first gap from above.
  let lo = 0;
  let hi = vmas.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((vmas[mid] as Vma).start < high) lo = mid + 1;
    else hi = mid;
  }
  let gapEnd = high;
  const above = vmas[lo];
  if (above !== undefined) gapEnd = Math.min(gapEnd, vmStartGap(above, page));
  for (let i = lo - 1; i >= -1; i--) {
    const prev = i >= 0 ? (vmas[i] as Vma) : undefined;
    const gapStart = Math.max(low, prev === undefined ? 0 : vmEndGap(prev));
    if (gapEnd - gapStart >= len + startGap) return gapEnd - len;
    if (prev === undefined || prev.start <= low) break;
    gapEnd = Math.min(high, vmStartGap(prev, page));
  }
  return -1;
}

/**
 * `vm_unmapped_area` bottom up: the lowest `len` bytes free between `low`
 * and `high` above `startGap` free bytes, or -1.
 */
function unmappedAreaBottomup(
  mm: AddressSpace,
  len: number,
  startGap: number,
  low: number,
  high: number,
): number {
  const vmas = mm.vmas.all();
  const page = mm.vm.arch.pageSize;
  let gapStart = low;
  for (let i = 0; i <= vmas.length; i++) {
    const next = vmas[i];
    if (next !== undefined && vmEndGap(next) <= low) continue;
    const gapEnd = Math.min(high, next === undefined ? high : vmStartGap(next, page));
    if (gapEnd - gapStart >= len + startGap) return gapStart + startGap;
    if (next === undefined || gapEnd >= high) break;
    gapStart = Math.max(gapStart, vmEndGap(next));
  }
  return -1;
}

/** Extra mmap flags `getUnmappedArea` understands. */
export const MAP_32BIT = 0x40;

/**
 * `__get_unmapped_area` with `arch_get_unmapped_area_topdown`: the address
 * for a mapping of `len` bytes (page aligned). MAP_FIXED takes `addr` as it
 * is (after range and alignment checks); otherwise a free hint is honoured
 * and the search goes top-down from `mm.mmapBase`, falling back to
 * bottom-up from `TASK_UNMAPPED_BASE` (a third of user space) when the top
 * has no room. A searched-for place for a VM_GROWSDOWN mapping keeps the
 * stack guard gap free below it (`stack_guard_placement`). Returns the
 * address, or -ENOMEM, -EINVAL, -EPERM.
 */
export function getUnmappedArea(
  mm: AddressSpace,
  addr: number,
  len: number,
  flags: number,
  vmFlags = 0,
): number {
  for (const [what, x] of [
    ['addr', addr],
    ['len', len],
    ['flags', flags],
    ['vmFlags', vmFlags],
  ] as const) {
    if (!(typeof x === 'number' && Number.isInteger(x))) {
      throw new KernelBug(`getUnmappedArea: ${what} ${describeValue(x)} is not an integer`);
    }
  }
  const taskSize = mm.taskSize;
  const page = mm.vm.arch.pageSize;
  const minAddr = vmTunables(mm.vm).mmapMinAddr;
  const startGap = (vmFlags & VM_GROWSDOWN) !== 0 ? STACK_GUARD_GAP_PAGES * page : 0;
  if (len > taskSize) return err('ENOMEM');
  let result: number;
  if ((flags & MAP_FIXED) !== 0) {
    result = addr;
  } else if (mm.vm.arch.name === 'x86_64' && (flags & MAP_32BIT) !== 0) {
    result = unmappedAreaBottomup(mm, len, startGap, MAP_32BIT_BASE, MAP_32BIT_END);
    if (result < 0) return err('ENOMEM');
  } else {
    result = -1;
    if (addr !== 0) {
      const vma = mm.vmas.findVma(addr);
      const prev = vma !== undefined ? mm.vmas.prev(vma) : mm.vmas.all().at(-1);
      if (
        taskSize - len >= addr &&
        addr >= minAddr &&
        (vma === undefined || addr + len <= vmStartGap(vma, page)) &&
        (prev === undefined || addr >= vmEndGap(prev))
      ) {
        result = addr;
      }
    }
    if (result < 0) {
      result = unmappedAreaTopdown(mm, len, startGap, Math.max(page, minAddr), mm.mmapBase);
    }
    if (result < 0) {
      const unmappedBase = Math.ceil(taskSize / 3 / page) * page;
      result = unmappedAreaBottomup(mm, len, startGap, Math.max(unmappedBase, minAddr), taskSize);
    }
    if (result < 0) return err('ENOMEM');
  }
  if (result > taskSize - len) return err('ENOMEM');
  if (result % page !== 0) return err('EINVAL');
  if (result < minAddr) return err('EPERM'); // security_mmap_addr: cap_mmap_addr
  return result;
}

// --- prefaulting --------------------------------------------------------------------

/**
 * Faults in `[start, end)` of one VMA as `get_user_pages` does: a page whose
 * PTE already allows the access is left alone, any other takes the page
 * fault (a write fault breaks copy-on-write). Returns 0, -EFAULT (the fault
 * would raise a signal) or -ENOMEM (out of memory).
 */
export function faultInRange(mm: AddressSpace, start: number, end: number, write: boolean): number {
  const vm = mm.vm;
  const page = vm.arch.pageSize;
  for (let va = start; va < end; va += page) {
    const pte = mm.lookupPte(va);
    if (pte !== null && (pte.flags & PTE_USER) !== 0 && (!write || (pte.flags & PTE_WRITE) !== 0)) {
      continue;
    }
    let result: ReturnType<VmSystem['handleFault']>;
    try {
      result = vm.handleFault(mm, va, write);
    } catch (e) {
      if (e instanceof KernelError && e.code === 'ENOMEM') return err('ENOMEM');
      throw e;
    }
    if (result !== 0) return err('EFAULT');
  }
  return 0;
}

/**
 * `populate_vma_page_range` over every VMA in `[start, end)` (`__mm_populate`,
 * errors ignored as mmap, mremap, brk and mprotect ignore them: a VMA that
 * fails is left where it failed and the next one is populated): private
 * writable memory takes write faults (so copy-on-write is broken and each
 * page gets its own frame), other accessible memory read faults (anonymous
 * private memory then maps the zero page; shared memory its object's
 * pages). PROT_NONE memory is skipped, and so is a VM_LOCKONFAULT VMA,
 * whose pages are locked as they fault in.
 */
export function populateRange(mm: AddressSpace, start: number, end: number): void {
  for (const vma of mm.vmas.overlapping(start, end)) {
    if ((vma.flags & VM_ACCESS_FLAGS) === 0 || (vma.flags & VM_LOCKONFAULT) !== 0) continue;
    const write = (vma.flags & (VM_WRITE | VM_SHARED)) === VM_WRITE;
    faultInRange(mm, Math.max(start, vma.start), Math.min(end, vma.end), write);
  }
}

// --- whole-call atomicity ---------------------------------------------------------------

/** The VMAs around a range as they were, to undo a multi-VMA change that failed half way. */
export interface VmaSnapshot {
  readonly lo: number;
  readonly hi: number;
  readonly entries: readonly {
    readonly vma: Vma;
    readonly start: number;
    readonly end: number;
    readonly flags: number;
    readonly pgoff: number;
  }[];
  readonly users: ReadonlyMap<SharedAnon, number>;
}

/** Records the VMAs overlapping `[start, end)` and their two neighbours. */
export function snapshotVmas(mm: AddressSpace, start: number, end: number): VmaSnapshot {
  const inRange = mm.vmas.overlapping(start, end);
  const first = inRange[0];
  const last = inRange[inRange.length - 1];
  const vmas = [...inRange];
  if (first !== undefined) {
    const prev = mm.vmas.prev(first);
    if (prev !== undefined) vmas.unshift(prev);
  }
  if (last !== undefined) {
    const next = mm.vmas.next(last);
    if (next !== undefined) vmas.push(next);
  }
  const users = new Map<SharedAnon, number>();
  for (const v of vmas)
    if (v.backing.shared !== null) users.set(v.backing.shared, v.backing.shared.users);
  return {
    lo: vmas[0]?.start ?? start,
    hi: vmas[vmas.length - 1]?.end ?? end,
    entries: vmas.map((vma) => ({
      vma,
      start: vma.start,
      end: vma.end,
      flags: vma.flags,
      pgoff: vma.pgoff,
    })),
    users,
  };
}

/** Puts the VMAs of a snapshot back as they were (structure only: no PTE was changed since). */
export function restoreVmas(mm: AddressSpace, snap: VmaSnapshot): void {
  // File references: each VMA holds one; take those of the restored VMAs
  // before dropping those of the VMAs they replace.
  const current = mm.vmas.overlapping(snap.lo, snap.hi);
  for (const e of snap.entries) getVmaFile(e.vma);
  for (const v of current) putVmaFile(mm.vm, v);
  for (const v of current) mm.vmas.remove(v);
  for (const e of snap.entries) {
    e.vma.start = e.start;
    e.vma.end = e.end;
    e.vma.flags = e.flags;
    e.vma.pgoff = e.pgoff;
    mm.vmas.insert(e.vma);
  }
  for (const [shared, users] of snap.users) shared.users = users;
}

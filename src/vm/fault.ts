/**
 * The page-fault handler (`handle_mm_fault`, mm/memory.c), dispatching on
 * what the VMA maps and what the PTE holds:
 *
 * - no VMA, or below a stack that may not grow there: SIGSEGV, SEGV_MAPERR;
 * - an access the VMA does not allow: SIGSEGV, SEGV_ACCERR;
 * - an empty PTE of anonymous memory (`do_anonymous_page`): a read maps
 *   the shared zero page read-only (no frame used), a write maps a new
 *   zeroed frame;
 * - an empty PTE of shared anonymous memory (`shmem_fault`): the object's
 *   frame for that offset, created zeroed on first touch;
 * - a write to a present read-only PTE of a writable VMA (`do_wp_page`):
 *   copy on write, or reuse the frame when this mapping is its only user;
 * - a guard marker (MADV_GUARD_INSTALL, `handle_pte_marker`): SIGSEGV,
 *   SEGV_MAPERR (an access the VMA forbids is SEGV_ACCERR before that);
 * - a file mapping (`filemap_fault`): the page cache's page, see
 *   fs/file-fault.ts (a file object the file layer did not make: SIGBUS).
 *
 * Every fault that finds a VMA allowing the access counts `pgfault`, as
 * `handle_mm_fault` does; a SIGSEGV for no VMA or a forbidden access does not
 * (Linux 6.18 never gets that far).
 */
import { __GFP_ZERO, GFP_HIGHUSER_MOVABLE } from '../gfp/flags.js';
import { showAddress } from '../page/address.js';
import { KernelBug, SegmentationFault } from '../page/errors.js';
import { PG } from '../page/page-flags.js';
import { describeValue } from '../page/validate.js';
import type { AddressSpace } from './address-space.js';
import { fileFault, fileWriteNotify } from './fs/file-fault.js';
import { fileMappingOf } from './fs/file-mapping.js';
import { pageRssKind } from './page-kind.js';
import {
  isGuardPte,
  PTE_ACCESSED,
  PTE_DIRTY,
  PTE_NX,
  PTE_USER,
  PTE_WRITE,
  pteToSwapEntry,
} from './pte.js';
import { mmRlimit, RLIM_INFINITY, RLIMIT_STACK } from './resource.js';
import { mayExpandVm, mlockFutureOk } from './syscalls/vm-limits.js';
import type { VmSystem } from './vm-system.js';
import { VM_EXEC, VM_GROWSDOWN, VM_READ, VM_SHARED, VM_WRITE, type Vma } from './vma.js';

/** `stack_guard_gap`: a growing stack keeps this far from the mapping below it (256 pages). */
const STACK_GUARD_GAP_PAGES = 256;
/**
 * RLIMIT_STACK's default soft limit, 8 MiB (`_STK_LIM`): what `mmap_base`
 * leaves room for. Stack growth checks the process's own RLIMIT_STACK.
 */
export const STACK_RLIMIT = 8 * 2 ** 20;

/**
 * The PTE flags a VMA's pages get (`vm_get_page_prot`), writable only if
 * `writable`, and dirty (written) when `dirty`, which defaults to `writable`.
 */
export function pteFlagsFor(vma: Vma, writable: boolean, dirty = writable): number {
  let flags = PTE_USER | PTE_ACCESSED;
  if (writable) flags |= PTE_WRITE;
  if (dirty) flags |= PTE_DIRTY;
  if ((vma.flags & VM_EXEC) === 0) flags |= PTE_NX;
  return flags;
}

/**
 * `expand_downwards`: grows a VM_GROWSDOWN VMA down to cover `va`, if the
 * rules allow: the guard gap above the mapping below, then
 * `acct_stack_growth`: RLIMIT_AS (`may_expand_vm`), RLIMIT_STACK for the
 * whole new size, RLIMIT_MEMLOCK for a locked stack (`mlock_future_ok`).
 * A refusal is SIGSEGV for the access. The pages a locked stack gains are
 * mlocked as they fault in.
 */
function expandStack(mm: AddressSpace, vma: Vma, va: number): boolean {
  if (!stackMayExpand(mm, vma, va)) return false;
  const pageSize = mm.vm.arch.pageSize;
  const newStart = Math.floor(va / pageSize) * pageSize;
  const grow = (vma.start - newStart) / pageSize;
  vma.start = newStart;
  vma.pgoff -= grow;
  mm.totalVm += grow;
  mm.updateHiwater();
  return true;
}

/**
 * Whether {@link expandStack} would grow the VM_GROWSDOWN `vma` down to
 * cover `va` (below `vma.start`): its checks, changing nothing.
 */
export function stackMayExpand(mm: AddressSpace, vma: Vma, va: number): boolean {
  const pageSize = mm.vm.arch.pageSize;
  const newStart = Math.floor(va / pageSize) * pageSize;
  const prev = mm.vmas.prev(vma);
  if (prev !== undefined && newStart - prev.end < STACK_GUARD_GAP_PAGES * pageSize) return false;
  const grow = (vma.start - newStart) / pageSize;
  if (!mayExpandVm(mm, vma.flags, grow)) return false;
  const stackLimit = mmRlimit(mm, RLIMIT_STACK);
  if (stackLimit !== RLIM_INFINITY && vma.end - newStart > stackLimit) return false;
  return mlockFutureOk(mm, vma.flags, grow * pageSize);
}

/** Handles a fault at `va`; 0 when the access can be retried, or the signal to deliver. */
export function handleFault(
  vm: VmSystem,
  mm: AddressSpace,
  va: number,
  write: boolean,
): 0 | SegmentationFault {
  if (typeof va !== 'number' || typeof write !== 'boolean') {
    throw new KernelBug(
      `handleFault: address ${showAddress(va)} and write ${describeValue(write)} must be a number and a boolean`,
    );
  }
  let vma = mm.vmas.findVma(va);
  if (vma === undefined) return new SegmentationFault('SIGSEGV', 'SEGV_MAPERR', va);
  if (va < vma.start) {
    if ((vma.flags & VM_GROWSDOWN) === 0 || !expandStack(mm, vma, va)) {
      return new SegmentationFault('SIGSEGV', 'SEGV_MAPERR', va);
    }
  }
  vma = vma as Vma;
  // x86 and arm64 cannot map a page write-only: VM_WRITE implies read access.
  const allowed = write
    ? (vma.flags & VM_WRITE) !== 0
    : (vma.flags & (VM_READ | VM_WRITE | VM_EXEC)) !== 0;
  if (!allowed) return new SegmentationFault('SIGSEGV', 'SEGV_ACCERR', va);
  // Counted by handle_mm_fault (mm_account_fault), which a fault with no
  // VMA or a forbidden access never reaches (x86 do_user_addr_fault's bad_area).
  vm.countFault();
  const file = fileMappingOf(vma);
  if (vma.backing.file !== null && file === null)
    return new SegmentationFault('SIGBUS', 'BUS_ADRERR', va);

  const pageSize = vm.arch.pageSize;
  const pageVa = Math.floor(va / pageSize) * pageSize;
  const slot = mm.pteSlot(pageVa, true);
  if (slot < 0) return vm.outOfMemory(mm, va);
  const lo = vm.geo.readLo(slot);
  const hi = vm.geo.readHi(slot);
  const fmt = vm.geo.format;
  if (!fmt.present(lo, hi)) {
    // A guard marker (handle_pte_marker): VM_FAULT_SIGSEGV, reported as SEGV_MAPERR.
    if (isGuardPte(vm.arch, lo, hi)) return new SegmentationFault('SIGSEGV', 'SEGV_MAPERR', va);
    // A non-present entry that is not empty holds a swap entry (do_swap_page).
    if (lo !== 0 || hi !== 0)
      return vm.swap.swapIn(mm, vma, pageVa, slot, pteToSwapEntry(vm.arch, lo, hi), write);
    if (file !== null) return fileFault(vm, mm, vma, file, pageVa, slot, write);
    return faultMissing(vm, mm, vma, pageVa, slot, write);
  }
  if (write && (fmt.flags(lo, hi) & PTE_WRITE) === 0) {
    if (file !== null && (vma.flags & VM_SHARED) !== 0)
      return fileWriteNotify(vm, mm, vma, file, pageVa, slot, fmt.pfn(lo, hi));
    return wpPage(vm, mm, vma, pageVa, slot, fmt.pfn(lo, hi));
  }
  // The PTE already allows the access (another CPU's TLB was stale): retry.
  return 0;
}

function faultMissing(
  vm: VmSystem,
  mm: AddressSpace,
  vma: Vma,
  va: number,
  slot: number,
  write: boolean,
): 0 | SegmentationFault {
  const shared = vma.backing.shared;
  if (shared !== null) {
    const index = vma.pgoff + (va - vma.start) / vm.arch.pageSize;
    // Past the end of the object, like a page past the end of a file (shmem_fault).
    if (index >= shared.size) return new SegmentationFault('SIGBUS', 'BUS_ADRERR', va);
    let pfn = shared.pages.get(index);
    if (pfn === undefined && shared.swapped.has(index)) {
      // shmem_swapin_folio: the object's page was swapped out (a major fault).
      const back = vm.swap.shmemSwapIn(shared, index);
      if (back < 0) return vm.outOfMemory(mm, va);
      pfn = back;
    }
    if (pfn === undefined) {
      const fresh = vm.buddy.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_ZERO, 0);
      if (fresh === null) return vm.outOfMemory(mm, va);
      pfn = fresh;
      // The object's own reference; the page is swap-backed and found again by (object, offset).
      const m = vm.buddy.memMap;
      m.setFlag(pfn, PG.swapbacked);
      m.setFlag(pfn, PG.uptodate);
      m.mapping[pfn] = shared.id;
      m.index[pfn] = index;
      shared.pages.set(index, pfn);
      // The object's first page makes it findable from its pages' `mapping` (reclaim).
      if (!vm.shmemObjects.has(shared.id)) vm.shmemObjects.set(shared.id, shared);
      // folio_add_lru: evictable; mapping it below mlocks it if the VMA is locked.
      vm.lru.add(pfn);
    }
    vm.mapPage(mm, pfn, 'shmem', vma);
    // Shared memory needs no write notification: a writable VMA maps the page writable, clean until written.
    mm.setPte(slot, va, pfn, pteFlagsFor(vma, (vma.flags & VM_WRITE) !== 0, write));
    return 0;
  }
  if (!write) {
    // The zero page: read faults on anonymous memory use no frame.
    mm.setPte(slot, va, vm.zeroPfn, pteFlagsFor(vma, false) & ~PTE_DIRTY);
    return 0;
  }
  const pfn = vm.buddy.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_ZERO, 0);
  if (pfn === null) return vm.outOfMemory(mm, va);
  vm.newAnonPage(mm, vma, pfn, va);
  mm.setPte(slot, va, pfn, pteFlagsFor(vma, true));
  return 0;
}

/**
 * `do_wp_page`: a write to a read-only PTE of a writable VMA. Shared memory
 * just becomes writable; a private page this mapping alone uses is reused
 * (`wp_page_reuse`); otherwise it is copied (`wp_page_copy`), the zero page
 * being "copied" as a fresh zeroed frame.
 */
function wpPage(
  vm: VmSystem,
  mm: AddressSpace,
  vma: Vma,
  va: number,
  slot: number,
  oldPfn: number,
): 0 | SegmentationFault {
  if ((vma.flags & VM_SHARED) !== 0) {
    mm.setPte(slot, va, oldPfn, pteFlagsFor(vma, true));
    return 0;
  }
  const m = vm.buddy.memMap;
  if (oldPfn !== vm.zeroPfn && m.mapcount[oldPfn] === 1 && m.refcount[oldPfn] === 1) {
    mm.setPte(slot, va, oldPfn, pteFlagsFor(vma, true));
    return 0;
  }
  const zero = oldPfn === vm.zeroPfn;
  // The old page is pinned while the copy is allocated, so that reclaim leaves it mapped.
  if (!zero) m.getPage(oldPfn);
  const pfn = vm.buddy.allocPages(GFP_HIGHUSER_MOVABLE | (zero ? __GFP_ZERO : 0), 0);
  if (!zero) vm.buddy.freePages(oldPfn, 0);
  if (pfn === null) return vm.outOfMemory(mm, va);
  if (!zero) {
    vm.memory.copyPage(pfn, oldPfn);
    // The old page keeps its other mappings; this one moves to the copy, so RSS does not change.
    vm.unmapPage(mm, oldPfn, pageRssKind(vm, vma, oldPfn), vma);
  }
  vm.newAnonPage(mm, vma, pfn, va);
  mm.setPte(slot, va, pfn, pteFlagsFor(vma, true));
  return 0;
}

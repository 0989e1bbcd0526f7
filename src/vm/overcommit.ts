/**
 * Overcommit accounting (mm/util.c `__vm_enough_memory`, `vm_commit_limit`,
 * Documentation/mm/overcommit-accounting.rst, Linux 6.18).
 *
 * Linux charges address space that may need memory or swap later against
 * `vm_committed_as` when it is created: private writable mappings, the brk
 * heap and the stack (VMAs with VM_ACCOUNT), and shared anonymous (shmem)
 * objects not created with MAP_NORESERVE (`shmem_acct_size`). mmsim keeps no
 * running counter: the committed figure is recomputed from those VMAs and
 * objects when asked, which gives the same number (and `Committed_AS` in
 * /proc/meminfo) without work on the paths that map memory.
 *
 * `vm.overcommit_memory` chooses the policy a new charge meets:
 * - 0, `OVERCOMMIT_GUESS` (default): refused only when the charge alone is
 *   larger than all of RAM and swap;
 * - 1, `OVERCOMMIT_ALWAYS`: never refused;
 * - 2, `OVERCOMMIT_NEVER`: refused unless the committed total with the
 *   charge stays below `CommitLimit` (swap + RAM * overcommit_ratio / 100,
 *   or swap + overcommit_kbytes), less `admin_reserve_kbytes` (processes
 *   here lack CAP_SYS_ADMIN) and less the smaller of `user_reserve_kbytes`
 *   and a 32nd of the process's own size.
 *
 * Not modelled: the warning `__vm_enough_memory` logs (rate-limited) when it
 * refuses, since a refused call leaves dmesg as it was here; hugetlb pages
 * (there are none); the per-page charges of MAP_NORESERVE shmem.
 */
import type { AddressSpace } from './address-space.js';
import type { VmSystem } from './vm-system.js';
import { type SharedAnon, VM_ACCOUNT, VM_DONTCOPY, VM_NORESERVE } from './vma.js';

/** The overcommit sysctls {@link vmEnoughMemoryFor} and {@link commitLimitPages} read. */
export interface OvercommitTunables {
  /** `vm.overcommit_memory`: 0, 1 or 2. */
  readonly overcommitMemory: number;
  /** `vm.overcommit_ratio`. */
  readonly overcommitRatio: number;
  /** `vm.overcommit_kbytes`. */
  readonly overcommitKbytes: number;
  /** `vm.admin_reserve_kbytes`. */
  readonly adminReserveKbytes: number;
  /** `vm.user_reserve_kbytes`. */
  readonly userReserveKbytes: number;
}

/** `totalram_pages()`: the managed pages of every zone. */
export function totalramPages(vm: VmSystem): number {
  let pages = 0;
  for (const zone of vm.buddy.zones) pages += zone.managed;
  return pages;
}

/**
 * `vm_committed_as`, in pages: every VM_ACCOUNT VMA of every address space,
 * and once each shared anonymous object mapped without VM_NORESERVE.
 */
export function committedPages(vm: VmSystem): number {
  const pageSize = vm.arch.pageSize;
  let pages = 0;
  const shmem = new Set<SharedAnon>();
  for (const mm of vm.addressSpaces) {
    for (const vma of mm.vmas.all()) {
      if ((vma.flags & VM_ACCOUNT) !== 0) pages += (vma.end - vma.start) / pageSize;
      const shared = vma.backing.shared;
      if (shared !== null && (vma.flags & VM_NORESERVE) === 0) shmem.add(shared);
    }
  }
  for (const object of shmem) pages += object.size;
  return pages;
}

/**
 * `vm_commit_limit`, in pages, as the kernel's `unsigned long` holds it:
 * swap plus `overcommit_kbytes` when set, otherwise plus RAM times
 * `overcommit_ratio` percent. A negative ratio is converted to unsigned
 * before the multiplication, which wraps modulo 2**64 as the C arithmetic
 * does; the result can then exceed what a JS number holds exactly, hence
 * the bigint.
 */
export function commitLimitPages(vm: VmSystem, t: OvercommitTunables): bigint {
  const kibPerPage = vm.arch.pageSize / 1024;
  let allowed: bigint;
  if (t.overcommitKbytes !== 0) {
    allowed = BigInt(Math.floor(t.overcommitKbytes / kibPerPage));
  } else {
    // (unsigned long)totalram * (int)ratio / 100, wrapping modulo 2**64.
    const product = BigInt.asUintN(64, BigInt(totalramPages(vm)) * BigInt(t.overcommitRatio));
    allowed = product / 100n;
  }
  return BigInt.asUintN(64, allowed + BigInt(vm.swap.totalSlots));
}

/**
 * `__vm_enough_memory(mm, pages, cap_sys_admin = 0)`: whether a new charge
 * of `pages` may be made under the policy in `t`. `mm` is the address
 * space the charge is for (`current->mm`), whose size bounds the user
 * reserve; null for none.
 */
export function vmEnoughMemoryFor(
  vm: VmSystem,
  pages: number,
  mm: AddressSpace | null,
  t: OvercommitTunables,
): boolean {
  if (t.overcommitMemory === 1) return true;
  if (t.overcommitMemory === 0) return pages <= totalramPages(vm) + vm.swap.totalSlots;
  const kibPerPage = vm.arch.pageSize / 1024;
  // `long allowed = vm_commit_limit()`: a wrapped limit reads as negative and refuses every charge.
  let allowed = BigInt.asIntN(64, commitLimitPages(vm, t));
  allowed -= BigInt(Math.floor(t.adminReserveKbytes / kibPerPage));
  if (mm !== null) {
    const reserve = Math.floor(t.userReserveKbytes / kibPerPage);
    allowed -= BigInt(Math.min(Math.floor(mm.totalVm / 32), reserve));
  }
  return BigInt(committedPages(vm) + pages) < allowed;
}

/**
 * What `dup_mmap` charges for a child of `mm`: the pages of every VM_ACCOUNT
 * VMA it copies (VM_DONTCOPY ones are not copied).
 */
export function forkChargePages(mm: AddressSpace): number {
  const pageSize = mm.vm.arch.pageSize;
  let pages = 0;
  for (const vma of mm.vmas.all()) {
    if ((vma.flags & (VM_ACCOUNT | VM_DONTCOPY)) === VM_ACCOUNT) pages += vma.size / pageSize;
  }
  return pages;
}

/**
 * mincore(2) (mm/mincore.c, Linux 6.18): one byte per page of
 * `[addr, addr + len)` written to user memory at `vec`, 1 when the page is
 * resident, 0 when not.
 *
 * Errors, in the order `sys_mincore` checks them:
 * 1. EINVAL: `addr` is not page aligned;
 * 2. ENOMEM: `[addr, addr + len)` is not within user space (`access_ok`);
 * 3. EFAULT: `[vec, vec + pages)` is not within user space (`access_ok`);
 * 4. then, a VMA at a time (at most a page's worth of bytes per step):
 *    ENOMEM at the first page no VMA covers (`vma_lookup` fails), after the
 *    bytes of the VMAs before it were written; EFAULT when writing the bytes
 *    faults (those before the fault are written: `copy_to_user`).
 * A length of 0 succeeds without looking at anything past the checks.
 *
 * What "resident" means (`mincore_pte_range`, `mincore_page`, `mincore_swap`):
 * - a present PTE: 1 (the shared zero page included);
 * - no PTE, or a guard marker (`pte_none || pte_is_marker`): anonymous
 *   memory 0; a file mapping asks the page cache whether the file's page is
 *   there (1 even when this process never mapped it); shared anonymous
 *   memory (shmem, a file in Linux) asks its object, whose page is
 *   resident, or swapped and then 1 only while it is in the swap cache;
 * - a swap entry: 1 while the page is in the swap cache (read back by
 *   MADV_WILLNEED, or not yet freed), 0 once it is only on the swap device.
 * `can_do_mincore` lets a process see the page cache of files it could
 * open for writing; mmsim has no file permissions, so it always may.
 *
 * Arguments are registers: a negative number is the two's complement the
 * kernel would see (so a kernel address), and a value no register holds
 * (NaN, a fraction) is EINVAL, or EFAULT for `vec`, a user pointer.
 */
import { Errno } from '../../page/errno.js';
import type { AddressSpace } from '../address-space.js';
import { fileMappingOf } from '../fs/file-mapping.js';
import { existingPageCache } from '../fs/page-cache.js';
import type { Process } from '../process.js';
import { isGuardPte, pteToSwapEntry } from '../pte.js';
import { accessOk, copyToUser } from '../uaccess.js';
import type { Vma } from '../vma.js';
import { longBits, toUlong } from './vma-ops.js';

/** mincore(2): 0, or -errno. */
export function sysMincore(p: Process, addr: number, len: number, vec: number): number {
  const mm = p.mm;
  const bits = longBits(mm);
  const pageSize = mm.vm.arch.pageSize;
  const start = toUlong(addr, bits);
  const ulen = toUlong(len, bits);
  // A vector no register holds is a bad pointer: access_ok below refuses it.
  const uvec = toUlong(vec, bits) ?? 2 ** bits;
  if (start === null || ulen === null) return -Errno.EINVAL;
  if (start % pageSize !== 0) return -Errno.EINVAL;
  if (!accessOk(p, start, ulen)) return -Errno.ENOMEM;
  const pages = Math.floor(ulen / pageSize) + (ulen % pageSize !== 0 ? 1 : 0);
  if (!accessOk(p, uvec, pages)) return -Errno.EFAULT;
  let at = start;
  let out = uvec;
  let left = pages;
  while (left > 0) {
    const vma = mm.vmas.lookup(at);
    if (vma === undefined) return -Errno.ENOMEM;
    const n = Math.min(left, pageSize, (vma.end - at) / pageSize);
    const bytes = residency(mm, vma, at, n);
    if (copyToUser(p, out, bytes) !== n) return -Errno.EFAULT;
    left -= n;
    out += n;
    at += n * pageSize;
  }
  return 0;
}

/** `do_mincore` over `n` pages of `vma` from `start`: 1 for each resident page. */
function residency(mm: AddressSpace, vma: Vma, start: number, n: number): Uint8Array {
  const vm = mm.vm;
  const pageSize = vm.arch.pageSize;
  const geo = vm.geo;
  const fmt = geo.format;
  const out = new Uint8Array(n);
  const notMapped = unmappedResidency(mm, vma);
  const seen = new Uint8Array(n); // pages whose PTE slot exists
  mm.forEachPteSlot(start, start + n * pageSize, (va, slot) => {
    const i = (va - start) / pageSize;
    seen[i] = 1;
    const lo = geo.readLo(slot);
    const hi = geo.readHi(slot);
    if ((lo | hi) === 0 || isGuardPte(vm.arch, lo, hi)) out[i] = notMapped(va);
    else if (fmt.present(lo, hi)) out[i] = 1;
    else out[i] = vm.swap.inSwapCache(pteToSwapEntry(vm.arch, lo, hi)) ? 1 : 0;
  });
  // pte_hole: no page table at all.
  for (let i = 0; i < n; i++) if (seen[i] === 0) out[i] = notMapped(start + i * pageSize);
  return out;
}

/**
 * `__mincore_unmapped_range` for one page of `vma` with no PTE: what the
 * page cache (or the shmem object) holds, or 0 for anonymous memory.
 */
function unmappedResidency(mm: AddressSpace, vma: Vma): (va: number) => 0 | 1 {
  const vm = mm.vm;
  const pageSize = vm.arch.pageSize;
  const indexOf = (va: number): number => vma.pgoff + (va - vma.start) / pageSize;
  const file = fileMappingOf(vma);
  if (file !== null) {
    const cache = vm.vfs === null ? null : existingPageCache(vm.vfs);
    return (va) => {
      const index = indexOf(va);
      if (cache === null || index >= 2 ** 32) return 0;
      return cache.lookup(file.inode, index) !== null ? 1 : 0;
    };
  }
  const shared = vma.backing.shared;
  if (shared !== null) {
    return (va) => {
      const index = indexOf(va);
      if (shared.pages.has(index)) return 1;
      return vm.swap.shmemInSwapCache(shared, index) ? 1 : 0;
    };
  }
  return () => 0;
}

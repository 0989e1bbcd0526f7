/**
 * How much of a user buffer a system call's copy can reach: the bytes from
 * its start that lie in VMAs allowing the access, counting the room a
 * VM_GROWSDOWN stack may grow into, up to the first hole or forbidden
 * VMA. It reads the VMA tree only: no page is faulted in, no counter moves.
 *
 * Why: mmsim's rule is that a system call validates, then changes state
 * (docs/linux-fidelity.md, "Misuse and hostile input"). Linux's
 * `filemap_read` reads the file page into the page cache and only then
 * finds that `copy_to_user` faults, so read(2) into an unmapped buffer
 * leaves the page cached although it fails with EFAULT. read(2) and
 * write(2) in mmsim ask this module first and refuse a buffer whose first
 * byte no copy can reach (EFAULT, nothing changed), and move only the
 * reachable prefix otherwise: the short count Linux returns when a copy
 * stops part-way.
 *
 * Faults this cannot foresee (a page of a file mapping past end of file, a
 * guard marker, out of memory) still stop the copy when it happens, as on
 * Linux.
 */
import type { AddressSpace } from './address-space.js';
import { stackMayExpand } from './fault.js';
import { VM_EXEC, VM_GROWSDOWN, VM_READ, VM_WRITE } from './vma.js';

/**
 * The length of the prefix of `[addr, addr + len)` that a copy writing
 * (`write`: copy_to_user) or reading (copy_from_user) user memory can
 * reach without a fault that would fail for want of a VMA or permission;
 * `len` when all of it. `addr` and `len` are integers that passed
 * `access_ok`.
 */
export function userReachableBytes(
  mm: AddressSpace,
  addr: number,
  len: number,
  write: boolean,
): number {
  const end = addr + len;
  let at = addr;
  while (at < end) {
    const vma = mm.vmas.findVma(at);
    if (vma === undefined) break;
    if (at < vma.start && !((vma.flags & VM_GROWSDOWN) !== 0 && stackMayExpand(mm, vma, at))) break;
    // As the fault handler decides: x86 and arm64 cannot map a page write-only.
    const allowed = write
      ? (vma.flags & VM_WRITE) !== 0
      : (vma.flags & (VM_READ | VM_WRITE | VM_EXEC)) !== 0;
    if (!allowed) break;
    at = vma.end;
  }
  return Math.min(at, end) - addr;
}

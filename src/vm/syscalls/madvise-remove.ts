/**
 * MADV_REMOVE: `madvise_remove` (mm/madvise.c, Linux 6.18), which punches
 * a hole in the object a shared writable mapping maps, with
 * `vfs_fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)`.
 *
 * Checks, per VMA and in this order (test/madvise-advice.test.ts checks
 * the order on mappings that break several rules):
 * 1. VM_LOCKED: EINVAL;
 * 2. no file behind the mapping (private anonymous memory): EINVAL;
 * 3. not shared and may-write (`vma_is_shared_maywrite`: a private
 *    mapping, or a shared mapping of a file opened read-only): EACCES;
 * 4. for a file, a hole ending past the file system's `s_maxbytes`
 *    (`vfs_fallocate`): EFBIG.
 *
 * What the hole does:
 * - a file (`ext4_punch_hole`): the pages of the range below end of file
 *   are unmapped from every mapping of the file in every process (private
 *   copies, swap entries and guard markers stay: `unmap_mapping_range`
 *   without `even_cows`), dropped from the page cache dirty or not, and
 *   their disk blocks freed. The size stays; reads through any mapping or
 *   read(2) see zeros there. A range past end of file does nothing.
 * - shared anonymous memory (`shmem_fallocate`): the object's pages of the
 *   range are unmapped from every mapping and freed, swapped-out ones
 *   dropped from swap; they read back as zero. Guard markers stay.
 */
import type { AddressSpace } from '../address-space.js';
import { fileMappingOf } from '../fs/file-mapping.js';
import { zapRange } from '../mm-ops.js';
import { type SharedAnon, VM_LOCKED, VM_MAYWRITE, VM_SHARED, type Vma } from '../vma.js';
import { err } from './vma-ops.js';

/** `madvise_remove` on `[start, end)` of `vma`: 0 or -errno. */
export function madviseRemove(mm: AddressSpace, vma: Vma, start: number, end: number): number {
  if ((vma.flags & VM_LOCKED) !== 0) return err('EINVAL');
  const file = fileMappingOf(vma);
  const shared = vma.backing.shared;
  if (file === null && shared === null) return err('EINVAL'); // no vm_file
  if ((vma.flags & (VM_SHARED | VM_MAYWRITE)) !== (VM_SHARED | VM_MAYWRITE)) return err('EACCES');
  const page = mm.vm.arch.pageSize;
  const first = vma.pgoff + (start - vma.start) / page;
  const last = first + (end - start) / page;
  if (file !== null) {
    if (last * page > file.vfs.maxBytes) return err('EFBIG');
    file.vfs.punchHole(file.inode, first, last);
    return 0;
  }
  punchShmemHole(mm, shared as SharedAnon, first, last);
  return 0;
}

/**
 * `shmem_fallocate(PUNCH_HOLE)`: unmaps page offsets `[first, last)` of
 * `shared` everywhere (guard markers stay), then frees the object's pages
 * there and its swap slots.
 */
function punchShmemHole(mm: AddressSpace, shared: SharedAnon, first: number, last: number): void {
  const vm = mm.vm;
  const page = vm.arch.pageSize;
  const spaces = new Set<AddressSpace>([mm]);
  for (const p of vm.processes.values()) spaces.add(p.mm);
  for (const space of spaces) {
    for (const v of space.vmas.all()) {
      if (v.backing.shared !== shared) continue;
      const lo = Math.max(first, v.pgoff);
      const hi = Math.min(last, v.pgoff + v.size / page);
      if (lo >= hi) continue;
      zapRange(space, v, v.start + (lo - v.pgoff) * page, v.start + (hi - v.pgoff) * page);
    }
  }
  for (const [index, pfn] of [...shared.pages]) {
    if (index < first || index >= last) continue;
    shared.pages.delete(index);
    vm.buddy.freePages(pfn, 0);
  }
  for (const index of [...shared.swapped.keys()]) {
    if (index >= first && index < last) vm.swap.shmemFree(shared, index);
  }
}

/**
 * munmap(2): `__vm_munmap` and `do_vmi_munmap` (mm/mmap.c, mm/vma.c of
 * Linux 6.x).
 *
 * `addr` must be page aligned and the range inside user space (EINVAL);
 * `len` is rounded up to pages and may not be 0 (EINVAL). Unmapping space
 * that holds no mapping is not an error. VMAs straddling the ends are split;
 * a hole in the middle of one VMA needs one more VMA, which fails with
 * ENOMEM at `vm.max_map_count`. Every page of the range is unmapped
 * (`zap_page_range`): its mapping and reference are dropped, the frame goes
 * back to the page allocator with its last reference, and each PTE cleared
 * is flushed from every CPU's TLB, so no stale translation survives. Page
 * tables stay until the process exits (Linux frees the ones no VMA spans).
 */
import type { AddressSpace } from '../address-space.js';
import { err, longBits, pageAlign, toUlong, unmapRange } from './vma-ops.js';

/** munmap(2): 0, or a negative errno. */
export function sysMunmap(mm: AddressSpace, addr: number, len: number): number {
  const bits = longBits(mm);
  const page = mm.vm.arch.pageSize;
  const start = toUlong(addr, bits);
  const ulen = toUlong(len, bits);
  if (start === null || ulen === null) return err('EINVAL');
  if (start % page !== 0 || start > mm.taskSize || ulen > mm.taskSize - start) return err('EINVAL');
  const aligned = pageAlign(ulen, page, bits);
  if (aligned === 0) return err('EINVAL');
  return unmapRange(mm, start, start + aligned);
}

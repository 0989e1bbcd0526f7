/**
 * Page faults on file mappings (`filemap_fault`, `do_read_fault`,
 * `do_cow_fault`, `do_shared_fault` and `wp_page_shared` in mm/memory.c and
 * mm/filemap.c), over the page cache.
 *
 * The faulting page's file index is `vma.pgoff + (va - vma.start) / pageSize`.
 * A page wholly past the end of the file raises SIGBUS (BUS_ADRERR); the
 * tail of the last page past EOF reads as zero (the cache zero-fills it).
 *
 * - MAP_SHARED: the cache page itself is mapped (RSS `file`). A read fault
 *   maps it read-only; a write fault (or the first write to a read-only
 *   PTE) makes it writable and marks the cache page dirty, so write-back
 *   knows what to write (write notification).
 * - MAP_PRIVATE: a read fault maps the cache page read-only; a write fault
 *   copies it into a new anonymous page (RSS `anon`, PG_swapbacked), which
 *   the file never sees. A write to a read-only cache page already mapped
 *   is copied by the ordinary copy-on-write path (`do_wp_page`).
 */
import { GFP_HIGHUSER_MOVABLE } from '../../gfp/flags.js';
import { KernelError, SegmentationFault } from '../../page/errors.js';
import type { AddressSpace } from '../address-space.js';
import { pteFlagsFor } from '../fault.js';
import type { VmSystem } from '../vm-system.js';
import { VM_SHARED, type Vma } from '../vma.js';
import type { FileMapping } from './file-mapping.js';
import { pageCacheOf } from './page-cache.js';

/** The file page index `va` of `vma` maps. */
function fileIndex(vm: VmSystem, vma: Vma, va: number): number {
  return vma.pgoff + (va - vma.start) / vm.arch.pageSize;
}

/**
 * A fault on an empty PTE of a file VMA at page address `va` (PTE `slot`).
 * Returns 0, or the signal to deliver.
 */
export function fileFault(
  vm: VmSystem,
  mm: AddressSpace,
  vma: Vma,
  file: FileMapping,
  va: number,
  slot: number,
  write: boolean,
): 0 | SegmentationFault {
  const index = fileIndex(vm, vma, va);
  const inode = file.inode;
  if (index * vm.arch.pageSize >= inode.size) {
    return new SegmentationFault('SIGBUS', 'BUS_ADRERR', va);
  }
  const cache = pageCacheOf(file.vfs, vm.buddy);
  let pfn: number;
  try {
    pfn = cache.findOrCreate(inode, index);
  } catch (e) {
    if (e instanceof KernelError && e.code === 'ENOMEM') return vm.outOfMemory(mm, va);
    throw e;
  }
  if ((vma.flags & VM_SHARED) !== 0) {
    // do_shared_fault / do_read_fault: the cache page, writable only after a write.
    vm.mapPage(mm, pfn, 'file', vma);
    if (write) cache.markDirty(inode, index);
    mm.setPte(slot, va, pfn, pteFlagsFor(vma, write));
    return 0;
  }
  if (!write) {
    // do_read_fault: the cache page, read-only so that a write copies it.
    vm.mapPage(mm, pfn, 'file', vma);
    mm.setPte(slot, va, pfn, pteFlagsFor(vma, false));
    return 0;
  }
  // do_cow_fault: a private copy of the cache page, pinned meanwhile so that reclaim keeps it.
  vm.buddy.memMap.getPage(pfn);
  const copy = vm.buddy.allocPages(GFP_HIGHUSER_MOVABLE, 0);
  vm.buddy.freePages(pfn, 0);
  if (copy === null) return vm.outOfMemory(mm, va);
  vm.memory.copyPage(copy, pfn);
  vm.newAnonPage(mm, vma, copy, va);
  mm.setPte(slot, va, copy, pteFlagsFor(vma, true));
  return 0;
}

/**
 * `wp_page_shared`: a write to a read-only PTE of a shared writable file
 * VMA. The page becomes writable and dirty, and the cache page is marked
 * dirty.
 */
export function fileWriteNotify(
  vm: VmSystem,
  mm: AddressSpace,
  vma: Vma,
  file: FileMapping,
  va: number,
  slot: number,
  pfn: number,
): 0 {
  const cache = pageCacheOf(file.vfs, vm.buddy);
  const index = fileIndex(vm, vma, va);
  if (cache.lookup(file.inode, index) === pfn) cache.markDirty(file.inode, index);
  mm.setPte(slot, va, pfn, pteFlagsFor(vma, true));
  return 0;
}

/**
 * `force_page_cache_readahead` for MADV_WILLNEED: reads the pages of
 * `[start, end)` of a file VMA that lie before end of file into the page
 * cache, without mapping them; the next fault finds them there.
 */
export function readaheadFile(
  vm: VmSystem,
  vma: Vma,
  file: FileMapping,
  start: number,
  end: number,
): void {
  const cache = pageCacheOf(file.vfs, vm.buddy);
  const pageSize = vm.arch.pageSize;
  for (let va = start; va < end; va += pageSize) {
    const index = fileIndex(vm, vma, va);
    if (index * pageSize >= file.inode.size) break;
    if (cache.lookup(file.inode, index) === null) cache.findOrCreate(file.inode, index);
  }
}

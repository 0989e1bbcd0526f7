/**
 * File mappings: what a VMA of a mapped file points at (the `vm_file` of a
 * `struct vm_area_struct`), the inode reference each such VMA holds, and
 * the write-back of shared mappings (`msync`, the last `munmap`).
 *
 * Each VMA of a file holds one inode reference ({@link Vfs.iget}), taken
 * when it enters an address space (mmap, a split, fork) and dropped when it
 * leaves (munmap, a merge, exit), as Linux's `get_file`/`fput` on
 * `vm_file`. The last reference to an unlinked file drops its cached pages
 * unwritten, as the last close does.
 *
 * Shared writable mappings track dirtiness as Linux does with write
 * notification: a read fault maps the cache page read-only, the first write
 * faults and marks the page dirty, and {@link syncFileMapping} write-protects
 * every shared PTE of the file again (`folio_mkclean`) before writing the
 * dirty pages back, so later writes fault and dirty the page anew.
 */
import { KernelError } from '../../page/errors.js';
import { PG } from '../../page/page-flags.js';
import { zapRange } from '../mm-ops.js';
import { pageRssKind } from '../page-kind.js';
import { PTE_DIRTY, PTE_WRITE } from '../pte.js';
import type { VmSystem } from '../vm-system.js';
import { VM_SHARED, type Vma } from '../vma.js';
import { pageCacheOf } from './page-cache.js';
import { type Inode, VFS_DEV_MAJOR, VFS_DEV_MINOR, type Vfs } from './vfs.js';

/** `MINORBITS`: the kernel `dev_t` holds the minor in its low 20 bits. */
const MINORBITS = 20;

/** The file a VMA maps (`vma->vm_file`): what `Vma.backing.file` holds for a file mapping. */
export class FileMapping {
  /** The device, as a kernel `dev_t` (`major << 20 | minor`: 08:01). */
  readonly dev = VFS_DEV_MAJOR * 2 ** MINORBITS + VFS_DEV_MINOR;

  constructor(
    /** The mapped file. */
    readonly inode: Inode,
    /** The file system it belongs to. */
    readonly vfs: Vfs,
    /** The path it was opened by (what /proc/<pid>/maps prints). */
    readonly path: string,
  ) {}

  /** The inode number (/proc/<pid>/maps). */
  get ino(): number {
    return this.inode.ino;
  }
}

/** The file `vma` maps, or null for anonymous memory (or a file object of another kind). */
export function fileMappingOf(vma: Vma): FileMapping | null {
  const file = vma.backing.file;
  return file instanceof FileMapping ? file : null;
}

/** A VMA entered an address space: it takes a reference on its file's inode. */
export function getVmaFile(vma: Vma): void {
  const file = fileMappingOf(vma);
  if (file !== null) file.vfs.iget(file.inode);
}

/**
 * A VMA left an address space: it drops its inode reference. The last
 * reference to an unlinked file frees its cached pages without writing them.
 */
export function putVmaFile(vm: VmSystem, vma: Vma): void {
  const file = fileMappingOf(vma);
  if (file === null) return;
  const inode = file.inode;
  if (inode.opens === 1 && inode.nlink === 0) pageCacheOf(file.vfs, vm.buddy).drop(inode, false);
  file.vfs.iput(inode);
}

/**
 * `folio_mkclean` over every shared mapping of `inode`: each writable PTE
 * of a VM_SHARED VMA mapping the file's cache page becomes read-only and
 * clean, its dirty bit moving to the page (PG_dirty).
 */
export function mkcleanFile(vm: VmSystem, file: FileMapping): void {
  const cache = pageCacheOf(file.vfs, vm.buddy);
  const inode = file.inode;
  const ps = vm.arch.pageSize;
  const fmt = vm.geo.format;
  const m = vm.buddy.memMap;
  for (const process of vm.processes.values()) {
    const mm = process.mm;
    for (const vma of mm.vmas.all()) {
      if ((vma.flags & VM_SHARED) === 0) continue;
      const other = fileMappingOf(vma);
      if (other === null || other.inode !== inode) continue;
      mm.forEachPteSlot(vma.start, vma.end, (va, slot) => {
        const lo = vm.geo.readLo(slot);
        const hi = vm.geo.readHi(slot);
        if (!fmt.present(lo, hi)) return;
        const flags = fmt.flags(lo, hi);
        if ((flags & PTE_WRITE) === 0) return;
        const pfn = fmt.pfn(lo, hi);
        if (m.testFlag(pfn, PG.swapbacked)) return;
        const index = vma.pgoff + (va - vma.start) / ps;
        if ((flags & PTE_DIRTY) !== 0 && cache.lookup(inode, index) === pfn) {
          cache.markDirty(inode, index);
        }
        mm.setPte(slot, va, pfn, flags & ~(PTE_WRITE | PTE_DIRTY));
      });
    }
  }
}

/**
 * Writes the dirty pages of a mapped file back (`vfs_fsync_range` after
 * `folio_mkclean`). Returns 0 or -errno (ENOSPC when the disk is full).
 */
export function syncFileMapping(vm: VmSystem, file: FileMapping): number {
  mkcleanFile(vm, file);
  try {
    pageCacheOf(file.vfs, vm.buddy).writeback(file.inode);
  } catch (e) {
    if (e instanceof KernelError) return -e.errno;
    throw e;
  }
  return 0;
}

/**
 * A VMA is being unmapped: a shared file mapping writes the file's dirty
 * pages back (errors are not reported by munmap or exit; the pages stay
 * dirty in the cache).
 */
export function syncOnUnmap(vm: VmSystem, vma: Vma): void {
  const file = fileMappingOf(vma);
  if (file === null || (vma.flags & VM_SHARED) === 0) return;
  syncFileMapping(vm, file);
}

/**
 * `unmap_mapping_range(mapping, start, len, 0)` as a hole punch does it
 * (`truncate_pagecache_range`): every present PTE mapping one of the page
 * cache's pages `[first, end)` of `inode`, in every mapping of the file, is
 * cleared. Private copies (anonymous pages of a private mapping), swap
 * entries and guard markers stay, as `even_cows` is false.
 */
export function unmapFilePages(vm: VmSystem, inode: Inode, first: number, end: number): void {
  const ps = vm.arch.pageSize;
  const fmt = vm.geo.format;
  for (const process of vm.processes.values()) {
    const mm = process.mm;
    for (const vma of mm.vmas.all()) {
      if (fileMappingOf(vma)?.inode !== inode) continue;
      const lo = Math.max(first, vma.pgoff);
      const hi = Math.min(end, vma.pgoff + (vma.end - vma.start) / ps);
      if (lo >= hi) continue;
      const start = vma.start + (lo - vma.pgoff) * ps;
      mm.forEachPteSlot(start, start + (hi - lo) * ps, (va, slot) => {
        const pteLo = vm.geo.readLo(slot);
        const pteHi = vm.geo.readHi(slot);
        if (!fmt.present(pteLo, pteHi)) return;
        const pfn = fmt.pfn(pteLo, pteHi);
        if (pageRssKind(vm, vma, pfn) !== 'file') return; // a private copy
        mm.clearPte(slot, va);
        vm.unmapPage(mm, pfn, 'file', vma);
      });
    }
  }
}

/**
 * `unmap_mapping_range(..., even_cows)` as a truncate does it: every PTE of
 * every mapping of `inode` at file page `first` or beyond is cleared,
 * private copies included, so the pages past a new end of file can be freed
 * and later accesses there raise SIGBUS. Call it before
 * `PageCache.truncate`.
 */
export function unmapFileFrom(vm: VmSystem, inode: Inode, first: number): void {
  const ps = vm.arch.pageSize;
  for (const process of vm.processes.values()) {
    const mm = process.mm;
    for (const vma of mm.vmas.all()) {
      if (fileMappingOf(vma)?.inode !== inode) continue;
      const start = vma.start + Math.max(0, first - vma.pgoff) * ps;
      if (start < vma.end) zapRange(mm, vma, start, vma.end);
    }
  }
}

/**
 * Coherence of the whole-file interface of the {@link Vfs} (`k.vfs.readFile`,
 * `writeFile`, `truncate`, `unlink`) with the page cache and the file
 * mappings above it: the {@link VfsCacheHooks} the kernel installs.
 *
 * - `readFile` write-protects the shared mappings of the file and writes its
 *   dirty cached pages back first (what `msync`/`fsync` does), so it sees
 *   `write()`s and stores through MAP_SHARED mappings.
 * - A truncate (`Vfs.truncate`, and `writeFile`, which truncates to 0 before
 *   writing the disk) unmaps every page of every mapping past the new end,
 *   private copies included, and frees those cached pages, as
 *   `truncate_pagecache` does. No page still mapped is freed; the mappings
 *   fault the new contents in again (or SIGBUS past the new end).
 * - The eviction of an inode (no name, no open reference, no mapping)
 *   frees its cached pages without writeback.
 * - A hole punch (`Vfs.punchHole`, MADV_REMOVE) unmaps the page cache's
 *   pages of the hole from every mapping (private copies and guard markers
 *   stay) and frees them, dirty or not (`truncate_pagecache_range`).
 *
 * A file system with no page cache yet has nothing cached: the hooks do
 * nothing and create no cache.
 */
import type { VmSystem } from '../vm-system.js';
import { FileMapping, mkcleanFile, unmapFileFrom, unmapFilePages } from './file-mapping.js';
import { existingPageCache } from './page-cache.js';
import type { Inode, Vfs, VfsCacheHooks } from './vfs.js';

/** The coherence hooks of `vfs` under the processes of `vm`. */
export function pageCacheHooks(vm: VmSystem, vfs: Vfs): VfsCacheHooks {
  return {
    beforeRead(inode: Inode): void {
      const cache = existingPageCache(vfs);
      if (cache === null) return;
      mkcleanFile(vm, new FileMapping(inode, vfs, ''));
      cache.writeback(inode); // ENOSPC propagates to readFile
    },
    beforeTruncate(inode: Inode, size: number): void {
      const cache = existingPageCache(vfs);
      if (cache === null) return;
      unmapFileFrom(vm, inode, Math.ceil(size / vfs.pageSize));
      cache.truncate(inode, size);
    },
    evict(inode: Inode): void {
      existingPageCache(vfs)?.drop(inode, false);
    },
    beforePunchHole(inode: Inode, first: number, end: number): void {
      const cache = existingPageCache(vfs);
      if (cache === null) return;
      unmapFilePages(vm, inode, first, end);
      cache.removeRange(inode, first, end);
    },
  };
}

/**
 * SEEK_DATA and SEEK_HOLE over a sparse file (lseek(2); ext4's
 * `ext4_llseek` through `iomap_seek_data`/`iomap_seek_hole`, Linux 6.18).
 *
 * A page is data when it has a disk block, or when the page cache holds it
 * dirty (written, not yet written back: ext4's delayed allocation reports
 * such pages as data); every other page below end of file is a hole, and
 * end of file counts as a hole. Offsets are bytes; the answer is never
 * before the offset asked for. An offset at or past end of file (or
 * negative) is ENXIO. Costs O(data pages of the file), never its size.
 */
import { Errno } from '../../page/errno.js';
import type { PageCache } from './page-cache.js';
import type { Inode } from './vfs.js';

/** The pages of `inode` that hold data, sorted. */
function dataPages(inode: Inode, cache: PageCache): number[] {
  const set = new Set<number>(inode.blocks.keys());
  for (const index of cache.dirtyIndicesOf(inode)) set.add(index);
  return [...set].sort((a, b) => a - b);
}

/**
 * The offset of the next data (or, with `hole`, the next hole) at or after
 * byte `offset` of `inode`, or -ENXIO.
 */
export function seekDataHole(
  inode: Inode,
  offset: number,
  hole: boolean,
  cache: PageCache,
): number {
  const size = inode.size;
  if (offset < 0 || offset >= size) return -Errno.ENXIO;
  const ps = cache.vfs.pageSize;
  const first = Math.floor(offset / ps);
  const pages = dataPages(inode, cache).filter((i) => i >= first);
  if (!hole) {
    const index = pages[0];
    if (index === undefined || index * ps >= size) return -Errno.ENXIO;
    return Math.max(offset, index * ps);
  }
  // The first page from `first` on that is not data.
  let index = first;
  for (const data of pages) {
    if (data !== index) break;
    index++;
  }
  return Math.min(size, Math.max(offset, index * ps));
}

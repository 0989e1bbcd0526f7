/**
 * The page cache (`struct address_space` and its `i_pages` xarray): the
 * pages of regular files held in physical frames between the disk and the
 * `read`/`write` system calls.
 *
 * This file owns the cached frames. Per inode it keeps a Map from file page
 * index to the pfn of an order-0 frame taken from the page allocator with
 * GFP_HIGHUSER_MOVABLE; the cache holds one reference on each. The frame's
 * struct page says what it is: `mapping` = the inode number, `index` = the
 * file page index, PG_uptodate once its contents are valid (read from disk,
 * or zeroes for a hole), PG_dirty while it differs from the disk, PG_writeback
 * while {@link PageCache.writeback} writes it.
 *
 * Writeback of the page that straddles end of file zeroes the cached
 * page past EOF as well as the disk block (ext4's `ext4_bio_write_folio`):
 * bytes a shared mapping stored past EOF read back as zeros afterwards.
 *
 * Reads from the disk count `pgpgin` and writes `pgpgout` in the page
 * allocator's event counters, in KiB as Linux's /proc/vmstat does (Linux
 * counts 512-byte sectors and halves them on output).
 *
 * Coherence with `Vfs.readFile`/`writeFile`/`truncate`/`unlink` comes from
 * the hooks of `coherence.ts`, which the kernel installs on its Vfs.
 *
 * Every cached frame is on the LRU lists (reclaim/lru.ts) from the moment it
 * is read in; reclaim takes clean pages out with {@link PageCache.evict} and
 * writes dirty ones back first with {@link PageCache.writebackPage}.
 *
 * Not yet modelled: readahead windows.
 */
import type { BuddyAllocator } from '../../buddy/buddy-allocator.js';
import { GFP_HIGHUSER_MOVABLE } from '../../gfp/flags.js';
import { KernelBug, KernelError } from '../../page/errors.js';
import { PG } from '../../page/page-flags.js';
import { lruOf } from '../reclaim/lru.js';
import type { Inode, Vfs } from './vfs.js';

/** The cached pages of one {@link Vfs}. */
export class PageCache {
  /** Inode number -> (file page index -> pfn). */
  private readonly files = new Map<number, Map<number, number>>();
  /** Inode number -> the inode, for every inode with cached pages (reclaim finds pages by number). */
  private readonly inodes = new Map<number, Inode>();
  private pages = 0;
  private dirty = 0;
  private readonly pageSize: number;

  constructor(
    /** The file system whose pages are cached. */
    readonly vfs: Vfs,
    /** Where the frames come from. */
    readonly buddy: BuddyAllocator,
  ) {
    if (vfs.pageSize !== buddy.arch.pageSize) {
      throw new KernelBug(
        `PageCache: file system page size ${vfs.pageSize} differs from the machine's ${buddy.arch.pageSize}`,
      );
    }
    this.pageSize = vfs.pageSize;
    buddy.events.register('pgpgin');
    buddy.events.register('pgpgout');
  }

  /** Frames the cache holds (`nr_file_pages`; `Cached` in /proc/meminfo). */
  get nrPages(): number {
    return this.pages;
  }

  /** Cached pages with PG_dirty (`nr_dirty`; `Dirty` in /proc/meminfo). */
  get nrDirty(): number {
    return this.dirty;
  }

  /** Pages cached for `inode`. */
  pagesOf(inode: Inode): number {
    return this.files.get(inode.ino)?.size ?? 0;
  }

  /** The pfn caching page `index` of `inode`, or null (`find_get_page` without a reference). */
  lookup(inode: Inode, index: number): number | null {
    this.checkIndex('lookup', index);
    return this.files.get(inode.ino)?.get(index) ?? null;
  }

  /**
   * The pfn caching page `index` of `inode`, reading it from the disk into a
   * new frame if it is not cached (`filemap_get_pages` / `read_cache_page`).
   * @throws KernelError `ENOMEM` when no frame can be allocated.
   * @throws KernelBug for a bad index or an inode foreign to the file system.
   */
  findOrCreate(inode: Inode, index: number): number {
    this.checkIndex('findOrCreate', index);
    const cached = this.files.get(inode.ino)?.get(index);
    if (cached !== undefined) return cached;
    const buf = new Uint8Array(this.pageSize);
    const reads = this.vfs.disk.reads;
    this.vfs.readPage(inode, index, buf, 0); // validates the inode before a frame is taken
    const pfn = this.buddy.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    if (pfn === null) {
      throw new KernelError(
        'ENOMEM',
        `page cache: no frame for page ${index} of inode ${inode.ino}`,
      );
    }
    this.buddy.memory.write(pfn * this.pageSize, buf);
    if (this.vfs.disk.reads !== reads) {
      this.buddy.events.count('pgpgin', ((this.vfs.disk.reads - reads) * this.pageSize) / 1024);
    }
    const m = this.buddy.memMap;
    m.mapping[pfn] = inode.ino;
    m.index[pfn] = index;
    m.setFlag(pfn, PG.uptodate);
    let pages = this.files.get(inode.ino);
    if (pages === undefined) {
      pages = new Map();
      this.files.set(inode.ino, pages);
      this.inodes.set(inode.ino, inode);
    }
    pages.set(index, pfn);
    this.pages++;
    lruOf(this.buddy).add(pfn); // filemap_add_folio puts it on the inactive file list
    return pfn;
  }

  /** The indices of `inode`'s cached pages that are dirty (unsorted). */
  dirtyIndicesOf(inode: Inode): number[] {
    const pages = this.files.get(inode.ino);
    if (pages === undefined) return [];
    const m = this.buddy.memMap;
    const out: number[] = [];
    for (const [index, pfn] of pages) if (m.testFlag(pfn, PG.dirty)) out.push(index);
    return out;
  }

  /** Calls `visit` for every cached page (for invariant checks and /proc). */
  forEachPage(visit: (inode: Inode, index: number, pfn: number) => void): void {
    for (const [ino, pages] of this.files) {
      const inode = this.inodes.get(ino) as Inode;
      for (const [index, pfn] of pages) visit(inode, index, pfn);
    }
  }

  /** The inode numbered `ino`, if it has cached pages. */
  inodeOf(ino: number): Inode | undefined {
    return this.inodes.get(ino);
  }

  /**
   * `folio_mark_accessed` for a cached page read or written through
   * read(2)/write(2): the second such access activates it.
   */
  markAccessed(pfn: number): void {
    lruOf(this.buddy).markAccessed(pfn);
  }

  /**
   * `pageout` of one file page: writes cached page `index` of `inode` to the
   * disk if it is dirty and cleans it. Returns whether it was written.
   * @throws KernelError `ENOSPC` when the disk is full (the page stays dirty).
   * @throws KernelBug if the page is not cached.
   */
  writebackPage(inode: Inode, index: number): boolean {
    const pfn = this.require('writebackPage', inode, index);
    const m = this.buddy.memMap;
    if (!m.testFlag(pfn, PG.dirty)) return false;
    m.setFlag(pfn, PG.writeback);
    const writes = this.vfs.disk.writes;
    try {
      this.vfs.writePage(
        inode,
        index,
        this.buddy.memory.read(pfn * this.pageSize, this.pageSize),
        0,
      );
      this.zeroPastEof(inode, index, pfn);
    } finally {
      m.clearFlag(pfn, PG.writeback);
    }
    m.clearFlag(pfn, PG.dirty);
    this.dirty--;
    if (this.vfs.disk.writes !== writes) {
      this.buddy.events.count('pgpgout', ((this.vfs.disk.writes - writes) * this.pageSize) / 1024);
    }
    return true;
  }

  /**
   * `__filemap_remove_folio` for reclaim: takes a clean, unmapped cached
   * page out of the cache and drops the cache's reference, which frees it.
   * @throws KernelBug if the page is not cached, dirty, or still mapped.
   */
  evict(inode: Inode, index: number): void {
    const pfn = this.require('evict', inode, index);
    const m = this.buddy.memMap;
    if (m.testFlag(pfn, PG.dirty) || (m.mapcount[pfn] as number) !== 0) {
      throw new KernelBug(
        `PageCache.evict: page ${index} of inode ${inode.ino} is ${m.testFlag(pfn, PG.dirty) ? 'dirty' : 'mapped'}`,
      );
    }
    const pages = this.files.get(inode.ino) as Map<number, number>;
    this.release(pages, index, pfn);
    if (pages.size === 0) {
      this.files.delete(inode.ino);
      this.inodes.delete(inode.ino);
    }
  }

  /**
   * Marks cached page `index` of `inode` dirty (`folio_mark_dirty`).
   * @throws KernelBug if the page is not cached.
   */
  markDirty(inode: Inode, index: number): void {
    const pfn = this.require('markDirty', inode, index);
    if (!this.buddy.memMap.testAndSetFlag(pfn, PG.dirty)) this.dirty++;
  }

  /**
   * Writes every dirty page of `inode` to the disk and clears PG_dirty
   * (`filemap_write_and_wait`, what `fsync` does). Returns the pages written.
   * @throws KernelError `ENOSPC` when the disk is full (the page stays dirty).
   */
  writeback(inode: Inode): number {
    const pages = this.files.get(inode.ino);
    if (pages === undefined) return 0;
    const m = this.buddy.memMap;
    let written = 0;
    for (const index of [...pages.keys()].sort((a, b) => a - b)) {
      const pfn = pages.get(index) as number;
      if (!m.testFlag(pfn, PG.dirty)) continue;
      m.setFlag(pfn, PG.writeback);
      const writes = this.vfs.disk.writes;
      try {
        const bytes = this.buddy.memory.read(pfn * this.pageSize, this.pageSize);
        this.vfs.writePage(inode, index, bytes, 0);
        this.zeroPastEof(inode, index, pfn);
      } finally {
        m.clearFlag(pfn, PG.writeback);
      }
      m.clearFlag(pfn, PG.dirty);
      this.dirty--;
      if (this.vfs.disk.writes !== writes) {
        this.buddy.events.count(
          'pgpgout',
          ((this.vfs.disk.writes - writes) * this.pageSize) / 1024,
        );
        written++;
      }
    }
    return written;
  }

  /**
   * The cache side of a truncate to `size` bytes (`truncate_inode_pages`):
   * pages wholly past the end are freed (dirty or not), and the part of the
   * new last page past the end is zeroed. Call it with `Vfs.truncate`.
   * @throws KernelBug for a size that is not a non-negative integer.
   */
  truncate(inode: Inode, size: number): void {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new KernelBug(`PageCache.truncate: size ${size} is not a non-negative integer`);
    }
    const pages = this.files.get(inode.ino);
    if (pages === undefined) return;
    const keep = Math.ceil(size / this.pageSize);
    for (const [index, pfn] of [...pages]) if (index >= keep) this.release(pages, index, pfn);
    const tail = size % this.pageSize;
    const last = pages.get(keep - 1);
    if (tail !== 0 && last !== undefined) {
      this.buddy.memory.write(last * this.pageSize + tail, new Uint8Array(this.pageSize - tail));
    }
    if (pages.size === 0) {
      this.files.delete(inode.ino);
      this.inodes.delete(inode.ino);
    }
  }

  /**
   * The cache side of a hole punch over pages `[first, end)` of `inode`
   * (`truncate_inode_pages_range` for whole pages): those pages are freed,
   * dirty or not. Unmap them first (`unmapFilePages`).
   * @throws KernelBug for a bad page range, or a page still mapped.
   */
  removeRange(inode: Inode, first: number, end: number): void {
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(end) || first < 0 || end < first) {
      throw new KernelBug(`PageCache.removeRange: page range [${first}, ${end}) is not valid`);
    }
    const pages = this.files.get(inode.ino);
    if (pages === undefined) return;
    const m = this.buddy.memMap;
    for (const [index, pfn] of [...pages]) {
      if (index < first || index >= end) continue;
      if ((m.mapcount[pfn] as number) !== 0) {
        throw new KernelBug(
          `PageCache.removeRange: page ${index} of inode ${inode.ino} is still mapped`,
        );
      }
      this.release(pages, index, pfn);
    }
    if (pages.size === 0) {
      this.files.delete(inode.ino);
      this.inodes.delete(inode.ino);
    }
  }

  /**
   * Frees every cached page of `inode`, writing dirty ones back first unless
   * `writeback` is false (an unlinked file's last close: its data is gone).
   * @throws KernelError `ENOSPC` from the writeback (nothing is freed then).
   */
  drop(inode: Inode, writeback = true): void {
    if (writeback) this.writeback(inode);
    const pages = this.files.get(inode.ino);
    if (pages === undefined) return;
    for (const [index, pfn] of [...pages]) this.release(pages, index, pfn);
    this.files.delete(inode.ino);
    this.inodes.delete(inode.ino);
  }

  /**
   * After page `index` was written back: the part of the page that
   * straddles end of file past EOF is zeroed in the cached frame too, as
   * ext4's `ext4_bio_write_folio` (and `block_write_full_folio`) zero the
   * folio's tail before writing it, so a mapping that stored past EOF
   * reads zeros there afterwards.
   */
  private zeroPastEof(inode: Inode, index: number, pfn: number): void {
    const valid = inode.size - index * this.pageSize;
    if (valid <= 0 || valid >= this.pageSize) return;
    this.buddy.memory.write(pfn * this.pageSize + valid, new Uint8Array(this.pageSize - valid));
  }

  private release(pages: Map<number, number>, index: number, pfn: number): void {
    const m = this.buddy.memMap;
    if (m.testAndClearFlag(pfn, PG.dirty)) this.dirty--;
    m.clearFlag(pfn, PG.uptodate);
    m.mapping[pfn] = 0;
    m.index[pfn] = 0;
    pages.delete(index);
    this.pages--;
    this.buddy.freePages(pfn, 0);
  }

  private require(fn: string, inode: Inode, index: number): number {
    this.checkIndex(fn, index);
    const pfn = this.files.get(inode.ino)?.get(index);
    if (pfn === undefined) {
      throw new KernelBug(`PageCache.${fn}: page ${index} of inode ${inode.ino} is not cached`);
    }
    return pfn;
  }

  private checkIndex(fn: string, index: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= 2 ** 32) {
      throw new KernelBug(`PageCache.${fn}: page index ${index} is not an integer in 0..2^32-1`);
    }
  }
}

const caches = new WeakMap<Vfs, PageCache>();

/** The page cache of `vfs` if one was created, else null (nothing is cached). */
export function existingPageCache(vfs: Vfs): PageCache | null {
  return caches.get(vfs) ?? null;
}

/**
 * The page cache of `vfs`, created on first use with frames from `buddy`.
 * @throws KernelBug if it already exists with a different allocator.
 */
export function pageCacheOf(vfs: Vfs, buddy: BuddyAllocator): PageCache {
  const existing = caches.get(vfs);
  if (existing !== undefined) {
    if (existing.buddy !== buddy) {
      throw new KernelBug('pageCacheOf: this file system is cached by another page allocator');
    }
    return existing;
  }
  const cache = new PageCache(vfs, buddy);
  caches.set(vfs, cache);
  return cache;
}

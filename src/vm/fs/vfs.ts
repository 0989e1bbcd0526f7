/**
 * A simple disk file system: the namespace of regular files and their block
 * maps, standing for the VFS inode/dentry layer together with one concrete
 * on-disk file system. It is not ext4 (no journal, no extents, no on-disk
 * directory or inode format); it borrows only ext4's inode numbering.
 *
 * This file owns path validation, the directory tree (directories are
 * implicit: `writeFile('/data/a.txt', ...)` creates `/data`), inodes
 * (size, link count, open count, and the disk block of each file page),
 * and block allocation on a {@link SimDisk}. File contents live on the disk,
 * outside simulated RAM. The page cache reads and writes whole pages through
 * {@link Vfs.readPage} / {@link Vfs.writePage}; `writeFile`/`readFile` are
 * the whole-file convenience used by `k.vfs`.
 *
 * Files are sparse: an inode's block map holds an entry only for the pages
 * that were written (a `Map` from page index to disk block, standing for
 * ext4's extent tree), so a file costs the blocks written, never what its
 * size implies; a page with no block is a hole and reads as zeros without
 * I/O. A file may be as large as the file system's `s_maxbytes`
 * ({@link Vfs.maxBytes}, ext4's limit for the block size: `(2^32 - 1)`
 * blocks, 16 TiB - 4 KiB with 4 KiB blocks, capped by 32-bit
 * `MAX_LFS_FILESIZE`, 8 TiB - 1, on a 32-bit machine); every offset below
 * it is a safe JS integer and every page index fits 32 bits. Sizes past it
 * are EFBIG. {@link Vfs.readFile} returns at most {@link READ_FILE_MAX}
 * bytes (EFBIG above, as `kernel_read_file` refuses a file over INT_MAX);
 * {@link Vfs.readRange} reads any part of a larger file.
 *
 * Coherence with the page cache goes through {@link Vfs.cacheHooks} (set by
 * the kernel): `readFile` first writes the file's dirty cached pages back,
 * `truncate` (and so `writeFile`, which truncates to 0 first) unmaps and
 * drops the cached pages past the new end, and an inode's eviction (last
 * unlink with no open reference) frees its cached pages unwritten.
 */
import { KernelBug, KernelError } from '../../page/errors.js';
import { describeValue } from '../../page/validate.js';
import type { SimDisk } from './disk.js';

/**
 * The first inode number handed out. ext4 reserves 0 (no inode), 1 (bad
 * blocks) and gives the root directory 2; mmsim's directories have no
 * inodes, so its first regular file gets 2 and later files count up.
 */
export const FIRST_INO = 2;

/** Major device number of the simulated disk (8: SCSI/SATA disks, `sda`). */
export const VFS_DEV_MAJOR = 8;
/** Minor device number of the simulated disk (1: first partition, `sda1`). */
export const VFS_DEV_MINOR = 1;
/** The device as `/proc/<pid>/maps` prints it (`major:minor` in hex). */
export const VFS_DEV = '08:01';

/** What {@link Vfs.blockOf} returns for a page with no disk block (a hole). */
export const HOLE = -1;

/**
 * The most bytes {@link Vfs.readFile} returns: `INT_MAX`, the limit
 * `kernel_read_file` puts on a whole-file read (EFBIG above it).
 */
export const READ_FILE_MAX = 2 ** 31 - 1;

/**
 * `s_maxbytes` of an ext4 file system with `blockSize`-byte blocks and
 * extents (`ext4_max_size`): `(2^32 - 1)` blocks, capped on a 32-bit
 * machine by `MAX_LFS_FILESIZE` (`(PAGE_SIZE << 31) - 1`; 64-bit Linux's
 * `2^63 - 1` caps nothing). mmsim's blocks are pages.
 *
 * @example
 * ```ts
 * ext4MaxBytes(4096, true);  // 17592186040320 (16 TiB - 4 KiB)
 * ext4MaxBytes(4096, false); // 8796093022207 (8 TiB - 1)
 * ```
 */
export function ext4MaxBytes(blockSize: number, is64Bit: boolean): number {
  // Any disk block size (a sector, 512 bytes, up to ext4's 64 KiB), not only page sizes.
  if (
    typeof blockSize !== 'number' ||
    !Number.isInteger(blockSize) ||
    blockSize < 512 ||
    blockSize > 65536 ||
    (blockSize & (blockSize - 1)) !== 0
  ) {
    throw new KernelBug(
      `ext4MaxBytes: block size ${describeValue(blockSize)} is not a power of two from 512 to 65536`,
    );
  }
  if (typeof is64Bit !== 'boolean') {
    throw new KernelBug(`ext4MaxBytes: is64Bit ${describeValue(is64Bit)} is not a boolean`);
  }
  const extentLimit = (2 ** 32 - 1) * blockSize;
  return is64Bit ? extentLimit : Math.min(extentLimit, blockSize * 2 ** 31 - 1);
}

/**
 * A regular file (`struct inode`). Owned by the {@link Vfs}; callers read
 * the fields and change them only through `Vfs` methods.
 */
export interface Inode {
  /** Inode number (from {@link FIRST_INO} up; `st_ino`). */
  readonly ino: number;
  /** File size in bytes (`i_size`). */
  readonly size: number;
  /** Disk block of each file page index that has one; a page not here is a hole. */
  readonly blocks: ReadonlyMap<number, number>;
  /** Names that refer to the file (0 after unlink). */
  readonly nlink: number;
  /** Open references taken with {@link Vfs.iget} (open files, mappings). */
  readonly opens: number;
}

/** What {@link Vfs.stat} reports. */
export interface VfsStat {
  /** Inode number. */
  readonly ino: number;
  /** Size in bytes. */
  readonly size: number;
}

/**
 * What the {@link Vfs} asks of the page cache above it to stay coherent
 * with the whole-file interface. Every hook must be idempotent.
 */
export interface VfsCacheHooks {
  /** Before `readFile` reads the disk: write the dirty cached pages of `inode` back. */
  beforeRead(inode: Inode): void;
  /**
   * Before a truncate to `size`: unmap (even private copies) and free the
   * cached pages wholly past `size`, and zero the cached tail of the new last page.
   */
  beforeTruncate(inode: Inode, size: number): void;
  /** Before the blocks of an inode with no name and no reference are freed. */
  evict(inode: Inode): void;
  /**
   * Before pages `[first, end)` of `inode` become a hole (MADV_REMOVE,
   * `fallocate(PUNCH_HOLE)`): unmap them from every mapping (not private
   * copies) and drop them from the cache, dirty or not
   * (`truncate_pagecache_range`).
   */
  beforePunchHole?(inode: Inode, first: number, end: number): void;
}

/** Options of {@link Vfs}. */
export interface VfsOptions {
  /**
   * `s_maxbytes`, the largest file size, in bytes (default
   * `ext4MaxBytes(blockSize, true)`). At most `(2^32 - 1)` blocks, so
   * every page index fits 32 bits.
   */
  readonly maxBytes?: number;
}

interface MutableInode {
  ino: number;
  size: number;
  blocks: Map<number, number>;
  nlink: number;
  opens: number;
}

/** A disk file system of regular files in implicit directories. */
export class Vfs {
  /** The block device holding file contents. */
  readonly disk: SimDisk;
  /** Bytes per page (= the disk's block size). */
  readonly pageSize: number;
  /** `s_maxbytes`: the largest file size; growing a file past it is EFBIG. */
  readonly maxBytes: number;
  private readonly files = new Map<string, MutableInode>();
  private readonly dirs = new Set<string>(['/']);
  private readonly live = new Map<number, MutableInode>();
  private readonly freeBlocks: number[] = [];
  private nextBlock = 0;
  private allocated = 0;
  private nextIno = FIRST_INO;
  /** The page cache's coherence hooks, or null when nothing is cached above. */
  cacheHooks: VfsCacheHooks | null = null;

  /**
   * @param disk - the block device; its block size is the page size.
   * @param options - `maxBytes` (`s_maxbytes`).
   * @throws KernelBug for a `maxBytes` that is not a positive integer of at most `(2^32 - 1)` blocks.
   */
  constructor(disk: SimDisk, options: VfsOptions = {}) {
    this.disk = disk;
    this.pageSize = disk.blockSize;
    const maxBytes = options.maxBytes ?? ext4MaxBytes(disk.blockSize, true);
    if (
      !Number.isSafeInteger(maxBytes) ||
      maxBytes < 1 ||
      maxBytes > (2 ** 32 - 1) * disk.blockSize
    ) {
      throw new KernelBug(
        `Vfs: maxBytes ${maxBytes} is not an integer from 1 to ${(2 ** 32 - 1) * disk.blockSize}`,
      );
    }
    this.maxBytes = maxBytes;
  }

  /** Disk blocks allocated to files (including unlinked files still open). */
  get blocksAllocated(): number {
    return this.allocated;
  }

  // ---- whole-file interface ----

  /**
   * Creates `path` (and its missing parent directories) or replaces its
   * contents, keeping the inode (like `open(O_CREAT|O_TRUNC)` + `write`).
   * As that truncate does, it first unmaps every mapping's pages of the file
   * (private copies included) and drops its cached pages, dirty or not, so
   * later reads and faults see the new contents.
   * @throws KernelError `EINVAL` (bad path, or bytes not a `Uint8Array`), `EISDIR`, `ENOTDIR`, `ENOSPC`,
   *   `EFBIG` (more bytes than {@link Vfs.maxBytes}).
   */
  writeFile(path: string, bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) {
      throw new KernelError(
        'EINVAL',
        `writeFile: bytes ${describeValue(bytes)} is not a Uint8Array`,
      );
    }
    const pages = Math.ceil(bytes.length / this.pageSize);
    const existing = this.lookup(path);
    this.checkSize(bytes.length);
    const freed = existing === null ? 0 : existing.blocks.size;
    this.disk.checkCapacity(this.allocated - freed, pages);
    const inode = this.own(existing ?? this.create(path));
    this.truncate(inode, 0);
    inode.size = bytes.length;
    const page = new Uint8Array(this.pageSize);
    for (let i = 0; i < pages; i++) {
      const start = i * this.pageSize;
      page.fill(0);
      page.set(bytes.subarray(start, Math.min(start + this.pageSize, bytes.length)));
      this.writePage(inode, i, page, 0);
    }
  }

  /**
   * The contents of `path` (a fresh copy), after writing its dirty cached
   * pages back through {@link Vfs.cacheHooks}. Holes read as zeros.
   * @throws KernelError `EINVAL`, `ENOENT`, `EISDIR`, `ENOTDIR`; `EFBIG`
   *   for a file larger than {@link READ_FILE_MAX} (read it in pieces with
   *   {@link Vfs.readRange}), before anything is done; `ENOSPC` from the
   *   writeback of dirty cached pages.
   */
  readFile(path: string): Uint8Array {
    const inode = this.require(path);
    if (inode.size > READ_FILE_MAX) {
      throw new KernelError(
        'EFBIG',
        `readFile: ${path} is ${inode.size} bytes, more than a whole-file read returns (${READ_FILE_MAX}); use readRange`,
      );
    }
    return this.readBytes(inode, 0, inode.size);
  }

  /**
   * `length` bytes of `path` from byte `offset` (a fresh copy; fewer at end
   * of file, none past it), after writing its dirty cached pages back as
   * {@link Vfs.readFile} does. Holes read as zeros. For files too large
   * for `readFile`.
   * @throws KernelError `EINVAL` (bad path, or an offset or length that is
   *   not a non-negative safe integer), `ENOENT`, `EISDIR`, `ENOTDIR`;
   *   `EFBIG` for a length over {@link READ_FILE_MAX}; `ENOSPC` from the
   *   writeback.
   */
  readRange(path: string, offset: number, length: number): Uint8Array {
    const inode = this.require(path);
    for (const [what, n] of [
      ['offset', offset],
      ['length', length],
    ] as const) {
      if (!Number.isSafeInteger(n) || n < 0) {
        throw new KernelError(
          'EINVAL',
          `readRange: ${what} ${describeValue(n)} is not a non-negative integer`,
        );
      }
    }
    if (length > READ_FILE_MAX) {
      throw new KernelError(
        'EFBIG',
        `readRange: length ${length} is more than one read returns (${READ_FILE_MAX})`,
      );
    }
    const end = Math.min(inode.size, offset + length);
    return this.readBytes(inode, offset, Math.max(0, end - offset));
  }

  /** `len` bytes of `inode` from `offset` (inside the file), after the cache's writeback. */
  private readBytes(inode: MutableInode, offset: number, len: number): Uint8Array {
    this.cacheHooks?.beforeRead(inode);
    const ps = this.pageSize;
    const out = new Uint8Array(len);
    const page = new Uint8Array(ps);
    for (let at = offset; at < offset + len; ) {
      const index = Math.floor(at / ps);
      const inPage = at - index * ps;
      const n = Math.min(ps - inPage, offset + len - at);
      if (inode.blocks.has(index)) {
        this.readPage(inode, index, page, 0);
        out.set(page.subarray(inPage, inPage + n), at - offset);
      } // else a hole: `out` is already zero
      at += n;
    }
    return out;
  }

  /** Whether `path` names a file or directory (false for an invalid path). */
  exists(path: string): boolean {
    let p: string;
    try {
      p = this.validate(path);
    } catch {
      return false;
    }
    return this.files.has(p) || this.dirs.has(p);
  }

  /** The disk block holding page `index` of `inode`, or {@link HOLE}. */
  blockOf(inode: Inode, index: number): number {
    return this.own(inode).blocks.get(index) ?? HOLE;
  }

  /**
   * Inode number and size of the file at `path`.
   * @throws KernelError `EINVAL`, `ENOENT`, `EISDIR`, `ENOTDIR`.
   */
  stat(path: string): VfsStat {
    const inode = this.require(path);
    return { ino: inode.ino, size: inode.size };
  }

  /**
   * Removes the name `path`. The blocks are freed when no name and no open
   * reference remain (an unlinked file stays readable through its inode).
   * @throws KernelError `EINVAL`, `ENOENT`, `EISDIR`, `ENOTDIR`.
   */
  unlink(path: string): void {
    const inode = this.require(path);
    this.files.delete(this.validate(path));
    inode.nlink--;
    this.maybeEvict(inode);
  }

  /** Paths of all regular files, sorted. */
  list(): string[] {
    return [...this.files.keys()].sort();
  }

  // ---- page-granular interface (for the page cache) ----

  /**
   * The inode at `path`, or null when there is none (`lookup`).
   * @throws KernelError `EINVAL`, `EISDIR`, `ENOTDIR`.
   */
  lookup(path: string): Inode | null {
    const p = this.validate(path);
    if (this.dirs.has(p)) throw new KernelError('EISDIR', `${path} is a directory`);
    this.checkParents(p);
    return this.files.get(p) ?? null;
  }

  /**
   * The inode at `path`, created empty (with missing parent directories) if
   * there is none, like `open(O_CREAT)` without `O_EXCL`.
   * @throws KernelError `EINVAL`, `EISDIR`, `ENOTDIR`.
   */
  create(path: string): Inode {
    const found = this.lookup(path);
    if (found !== null) return found;
    const p = this.validate(path);
    const parts = p.split('/');
    for (let i = 2; i < parts.length; i++) this.dirs.add(parts.slice(0, i).join('/'));
    const inode: MutableInode = {
      ino: this.nextIno++,
      size: 0,
      blocks: new Map(),
      nlink: 1,
      opens: 0,
    };
    this.files.set(p, inode);
    this.live.set(inode.ino, inode);
    return inode;
  }

  /**
   * Takes an open reference on `inode` (`ihold`), keeping its data after
   * an unlink until {@link Vfs.iput}.
   * @throws KernelBug for an inode that is not live in this file system.
   */
  iget(inode: Inode): void {
    this.own(inode).opens++;
  }

  /**
   * Drops an open reference (`iput`); frees the data of an unlinked file
   * when the last one goes.
   * @throws KernelBug for a foreign inode or one with no open reference.
   */
  iput(inode: Inode): void {
    const m = this.own(inode);
    if (m.opens === 0) throw new KernelBug(`Vfs.iput: inode ${m.ino} has no open reference`);
    m.opens--;
    this.maybeEvict(m);
  }

  /**
   * Reads file page `index` into `into[offset, offset + pageSize)`: one
   * disk read for an allocated block; zeroes (no I/O) for a hole or a page
   * wholly past EOF. Bytes past EOF in the last page read as zero.
   * @throws KernelBug for a foreign inode, a bad index or a short buffer.
   */
  readPage(inode: Inode, index: number, into: Uint8Array, offset: number): void {
    const m = this.own(inode);
    this.checkPage('readPage', index, into, offset);
    const start = index * this.pageSize;
    const block = start < m.size ? (m.blocks.get(index) ?? HOLE) : HOLE;
    if (block === HOLE) {
      into.fill(0, offset, offset + this.pageSize);
      return;
    }
    this.disk.readBlock(block, into, offset);
    if (m.size - start < this.pageSize)
      into.fill(0, offset + (m.size - start), offset + this.pageSize);
  }

  /**
   * Writes file page `index` from `from[offset, offset + pageSize)` to its
   * disk block, allocating one for a hole (writeback, `writepage`). The part
   * past EOF is written as zeroes (as `block_write_full_page` does), and a
   * page wholly past EOF is skipped: extend the file with
   * {@link Vfs.setSize} before writing its new pages.
   * @throws KernelError `ENOSPC` when no block is free.
   * @throws KernelBug for a foreign inode, a bad index or a short buffer.
   */
  writePage(inode: Inode, index: number, from: Uint8Array, offset: number): void {
    const m = this.own(inode);
    this.checkPage('writePage', index, from, offset);
    const start = index * this.pageSize;
    if (start >= m.size) return;
    let block = m.blocks.get(index) ?? HOLE;
    if (block === HOLE) {
      block = this.allocBlock();
      m.blocks.set(index, block);
    }
    const valid = m.size - start;
    if (valid >= this.pageSize) {
      this.disk.writeBlock(block, from, offset);
    } else {
      const page = new Uint8Array(this.pageSize);
      page.set(from.subarray(offset, offset + valid));
      this.disk.writeBlock(block, page, 0);
    }
  }

  /**
   * Sets the size to `size` (`truncate`/`ftruncate`): frees the blocks of
   * pages wholly past the new end and zeroes, on disk, the tail of the new
   * last page (one read and one write when that page has a block). Growing
   * leaves a hole. The page cache is truncated first through
   * {@link Vfs.cacheHooks}. Costs the blocks freed, not the size.
   * @throws KernelError `EINVAL` for a negative or non-integer size,
   *   `EFBIG` for a size past {@link Vfs.maxBytes}.
   * @throws KernelBug for a foreign inode.
   */
  truncate(inode: Inode, size: number): void {
    const m = this.own(inode);
    this.checkSize(size);
    this.cacheHooks?.beforeTruncate(m, size);
    const keep = Math.ceil(size / this.pageSize);
    for (const [index, block] of [...m.blocks]) {
      if (index < keep) continue;
      m.blocks.delete(index);
      this.freeBlock(block);
    }
    const tail = size % this.pageSize;
    const last = m.blocks.get(keep - 1) ?? HOLE;
    if (tail !== 0 && last !== HOLE && size < m.size) {
      const page = new Uint8Array(this.pageSize);
      this.disk.readBlock(last, page, 0);
      page.fill(0, tail);
      this.disk.writeBlock(last, page, 0);
    }
    m.size = size;
  }

  /**
   * Grows `i_size` to `size` without touching blocks (`i_size_write` after a
   * write past EOF). New pages are holes until written.
   * @throws KernelError `EINVAL` for a negative or non-integer size,
   *   `EFBIG` for a size past {@link Vfs.maxBytes}.
   * @throws KernelBug for a foreign inode, or a smaller size (use
   *   {@link Vfs.truncate} to shrink).
   */
  setSize(inode: Inode, size: number): void {
    const m = this.own(inode);
    this.checkSize(size);
    if (size < m.size) {
      throw new KernelBug(`Vfs.setSize: ${size} is below the size ${m.size}; use truncate`);
    }
    m.size = size;
  }

  /**
   * Makes pages `[first, end)` of `inode` a hole, keeping the size
   * (`fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)` with page
   * granularity): the page cache unmaps and drops them first through
   * {@link VfsCacheHooks.beforePunchHole}, then their blocks are freed.
   * Pages past the end of the file are ignored. Returns the blocks freed.
   * @throws KernelBug for a foreign inode or a bad page range.
   */
  punchHole(inode: Inode, first: number, end: number): number {
    const m = this.own(inode);
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(end) || first < 0 || end < first) {
      throw new KernelBug(`Vfs.punchHole: page range [${first}, ${end}) is not valid`);
    }
    const last = Math.min(end, Math.ceil(m.size / this.pageSize));
    if (first >= last) return 0;
    this.cacheHooks?.beforePunchHole?.(m, first, last);
    let freed = 0;
    const visit = (index: number, block: number): void => {
      if (index < first || index >= last) return;
      m.blocks.delete(index);
      this.freeBlock(block);
      freed++;
    };
    // Whichever is smaller: the range, or the blocks the file has.
    if (last - first <= m.blocks.size) {
      for (let index = first; index < last; index++) {
        const block = m.blocks.get(index);
        if (block !== undefined) visit(index, block);
      }
    } else {
      for (const [index, block] of [...m.blocks]) visit(index, block);
    }
    return freed;
  }

  // ---- internals ----

  private validate(path: string): string {
    if (typeof path !== 'string') {
      throw new KernelError('EINVAL', `path ${describeValue(path)} is not a string`);
    }
    if (!path.startsWith('/')) throw new KernelError('EINVAL', `path ${path} is not absolute`);
    if (path === '/') return path;
    for (const part of path.slice(1).split('/')) {
      if (part === '' || part === '.' || part === '..' || part.includes('\0')) {
        throw new KernelError('EINVAL', `path ${path} has an empty, '.', '..' or NUL component`);
      }
    }
    return path;
  }

  private checkParents(p: string): void {
    const parts = p.split('/');
    for (let i = 2; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (this.files.has(dir)) throw new KernelError('ENOTDIR', `${dir} is not a directory`);
    }
  }

  private require(path: string): MutableInode {
    const inode = this.lookup(path);
    if (inode === null) throw new KernelError('ENOENT', `${path}: no such file`);
    return this.own(inode);
  }

  private own(inode: Inode): MutableInode {
    const ino = typeof inode === 'object' && inode !== null ? inode.ino : undefined;
    const m = typeof ino === 'number' ? this.live.get(ino) : undefined;
    if (m === undefined || m !== inode) {
      throw new KernelBug(
        `Vfs: inode ${typeof ino === 'number' ? ino : describeValue(inode)} is not a live inode of this file system`,
      );
    }
    return m;
  }

  private maybeEvict(m: MutableInode): void {
    if (m.nlink > 0 || m.opens > 0) return;
    this.cacheHooks?.evict(m);
    for (const block of m.blocks.values()) this.freeBlock(block);
    m.blocks.clear();
    this.live.delete(m.ino);
  }

  private allocBlock(): number {
    this.disk.checkCapacity(this.allocated, 1);
    this.allocated++;
    return this.freeBlocks.pop() ?? this.nextBlock++;
  }

  private freeBlock(block: number): void {
    this.disk.discard(block);
    this.freeBlocks.push(block);
    this.allocated--;
  }

  private checkSize(size: number): void {
    if (!Number.isInteger(size) || size < 0) {
      throw new KernelError('EINVAL', `file size ${size} is not a non-negative integer`);
    }
    if (size > this.maxBytes) {
      throw new KernelError(
        'EFBIG',
        `file size ${size} is past the file system's limit of ${this.maxBytes} bytes`,
      );
    }
  }

  private checkPage(fn: string, index: number, buf: Uint8Array, offset: number): void {
    if (!Number.isSafeInteger(index) || index < 0) {
      throw new KernelBug(`Vfs.${fn}: page index ${index} is not a non-negative integer`);
    }
    if (!Number.isInteger(offset) || offset < 0 || offset + this.pageSize > buf.length) {
      throw new KernelBug(
        `Vfs.${fn}: buffer of ${buf.length} bytes cannot hold a page at offset ${offset}`,
      );
    }
  }
}

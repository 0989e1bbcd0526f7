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
 * Coherence with the page cache goes through {@link Vfs.cacheHooks} (set by
 * the kernel): `readFile` first writes the file's dirty cached pages back,
 * `truncate` (and so `writeFile`, which truncates to 0 first) unmaps and
 * drops the cached pages past the new end, and an inode's eviction (last
 * unlink with no open reference) frees its cached pages unwritten.
 */
import { KernelBug, KernelError } from '../../page/errors.js';
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

/** Block number of a hole in {@link Inode.blocks}. */
export const HOLE = -1;

/**
 * A regular file (`struct inode`). Owned by the {@link Vfs}; callers read
 * the fields and change them only through `Vfs` methods.
 */
export interface Inode {
  /** Inode number (from {@link FIRST_INO} up; `st_ino`). */
  readonly ino: number;
  /** File size in bytes (`i_size`). */
  readonly size: number;
  /** Disk block of each file page index, {@link HOLE} for a hole. */
  readonly blocks: readonly number[];
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
}

interface MutableInode {
  ino: number;
  size: number;
  blocks: number[];
  nlink: number;
  opens: number;
}

/** A disk file system of regular files in implicit directories. */
export class Vfs {
  /** The block device holding file contents. */
  readonly disk: SimDisk;
  /** Bytes per page (= the disk's block size). */
  readonly pageSize: number;
  private readonly files = new Map<string, MutableInode>();
  private readonly dirs = new Set<string>(['/']);
  private readonly live = new Map<number, MutableInode>();
  private readonly freeBlocks: number[] = [];
  private nextBlock = 0;
  private allocated = 0;
  private nextIno = FIRST_INO;
  /** The page cache's coherence hooks, or null when nothing is cached above. */
  cacheHooks: VfsCacheHooks | null = null;

  /** @param disk - the block device; its block size is the page size. */
  constructor(disk: SimDisk) {
    this.disk = disk;
    this.pageSize = disk.blockSize;
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
   * @throws KernelError `EINVAL` (bad path), `EISDIR`, `ENOTDIR`, `ENOSPC`.
   */
  writeFile(path: string, bytes: Uint8Array): void {
    const pages = Math.ceil(bytes.length / this.pageSize);
    const existing = this.lookup(path);
    const freed = existing === null ? 0 : existing.blocks.filter((b) => b !== HOLE).length;
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
   * pages back through {@link Vfs.cacheHooks}.
   * @throws KernelError `EINVAL`, `ENOENT`, `EISDIR`, `ENOTDIR`; `ENOSPC`
   *   from the writeback of dirty cached pages.
   */
  readFile(path: string): Uint8Array {
    const inode = this.require(path);
    this.cacheHooks?.beforeRead(inode);
    const pages = Math.ceil(inode.size / this.pageSize);
    const out = new Uint8Array(pages * this.pageSize);
    for (let i = 0; i < pages; i++) this.readPage(inode, i, out, i * this.pageSize);
    return out.slice(0, inode.size);
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
    const inode: MutableInode = { ino: this.nextIno++, size: 0, blocks: [], nlink: 1, opens: 0 };
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
    const block = start < m.size ? (m.blocks[index] ?? HOLE) : HOLE;
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
    let block = m.blocks[index] ?? HOLE;
    if (block === HOLE) {
      block = this.allocBlock();
      while (m.blocks.length < index) m.blocks.push(HOLE);
      m.blocks[index] = block;
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
   * {@link Vfs.cacheHooks}.
   * @throws KernelError `EINVAL` for a negative or non-integer size.
   * @throws KernelBug for a foreign inode.
   */
  truncate(inode: Inode, size: number): void {
    const m = this.own(inode);
    this.checkSize(size);
    this.cacheHooks?.beforeTruncate(m, size);
    const keep = Math.ceil(size / this.pageSize);
    while (m.blocks.length > keep) {
      const block = m.blocks.pop() ?? HOLE;
      if (block !== HOLE) this.freeBlock(block);
    }
    while (m.blocks.length > 0 && m.blocks[m.blocks.length - 1] === HOLE) m.blocks.pop();
    const tail = size % this.pageSize;
    const last = m.blocks[keep - 1] ?? HOLE;
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
   * @throws KernelError `EINVAL` for a negative or non-integer size.
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

  // ---- internals ----

  private validate(path: string): string {
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
    const m = this.live.get(inode.ino);
    if (m === undefined || m !== inode) {
      throw new KernelBug(`Vfs: inode ${inode.ino} is not a live inode of this file system`);
    }
    return m;
  }

  private maybeEvict(m: MutableInode): void {
    if (m.nlink > 0 || m.opens > 0) return;
    this.cacheHooks?.evict(m);
    for (const block of m.blocks) if (block !== HOLE) this.freeBlock(block);
    m.blocks = [];
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
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new KernelError('EINVAL', `file size ${size} is not a non-negative integer`);
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

/**
 * A process's file descriptor table (`struct files_struct`) and its open
 * files (`struct file`: the inode, the open flags, the file position).
 *
 * This file owns descriptor allocation and the open/close life cycle: an
 * open takes a reference on the inode (`Vfs.iget`) and the last close of
 * an open file drops it (`Vfs.iput`). When that was the last reference to
 * an unlinked file, its cached pages are freed without writeback first.
 *
 * Descriptors 0, 1 and 2 are reserved for stdin, stdout and stderr, which
 * mmsim does not model: `open` hands out the lowest free descriptor from 3
 * up, and 0..2 are never open.
 *
 * `fork` gives the child a copy of the table whose descriptors share the
 * parent's open files (one file position, as in Linux).
 *
 * Special files (the /proc files a process opens, fs/special-file.ts) take
 * descriptors from the same space (`installSpecial`) and are inherited and
 * closed alike; `get` answers for regular files only and `special` for
 * them, so that the system calls can hand each kind to its own code.
 */
import { KernelBug, KernelError } from '../../page/errors.js';
import { describeValue } from '../../page/validate.js';
import { O_ACCMODE, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../mman.js';
import type { VmSystem } from '../vm-system.js';
import { unmapFileFrom } from './file-mapping.js';
import { pageCacheOf } from './page-cache.js';
import type { SpecialFile } from './special-file.js';
import type { Inode, Vfs } from './vfs.js';

/** The first descriptor `open` hands out (0..2: stdin, stdout, stderr). */
export const FIRST_FD = 3;
/** Descriptors per process (`RLIMIT_NOFILE`'s usual soft limit). */
export const NR_OPEN = 1024;

/** An open file (`struct file`), shared by the descriptors that refer to it. */
export interface OpenFile {
  /** The file. */
  readonly inode: Inode;
  /** The path it was opened by. */
  readonly path: string;
  /** The flags given to `open` (access mode, O_APPEND, ...). */
  readonly flags: number;
  /** The file position (`f_pos`). */
  pos: number;
  /** Descriptors referring to this open file, across processes (`f_count`). */
  refs: number;
}

/** Whether `file` was opened for reading. */
export function canRead(file: OpenFile): boolean {
  const mode = file.flags & O_ACCMODE;
  return mode === O_RDONLY || mode === O_RDWR;
}

/** Whether `file` was opened for writing. */
export function canWrite(file: OpenFile): boolean {
  const mode = file.flags & O_ACCMODE;
  return mode === O_WRONLY || mode === O_RDWR;
}

/** One process's file descriptors. */
export class FileTable {
  private readonly fds = new Map<number, OpenFile>();
  /** Descriptors of special files (/proc), numbered from the same space as `fds`. */
  private readonly specials = new Map<number, SpecialFile>();

  constructor(
    /** The VM subsystem; its `vfs` is the file system files are opened on. */
    readonly vm: VmSystem,
  ) {}

  /** Open descriptors. */
  get size(): number {
    return this.fds.size + this.specials.size;
  }

  /** The file system, or a KernelBug when none is attached to the VM. */
  vfs(): Vfs {
    const vfs = this.vm.vfs;
    if (vfs === null) throw new KernelBug('FileTable: no file system is attached (vm.vfs)');
    return vfs;
  }

  /**
   * `open(path, flags)`: the new descriptor (the lowest free one from 3).
   * @throws KernelError `ENOENT` (no file and no O_CREAT), `EEXIST`
   *   (O_CREAT|O_EXCL on an existing file), `EINVAL` (bad path or access
   *   mode), `EISDIR`, `ENOTDIR`, `EMFILE` (1024 descriptors open).
   */
  open(path: string, flags: number): number {
    if (!Number.isInteger(flags) || (flags & O_ACCMODE) === O_ACCMODE) {
      throw new KernelError('EINVAL', `open: bad flags ${describeValue(flags)}`);
    }
    // getname() after build_open_flags(): a path that is no string is a bad pointer.
    if (typeof path !== 'string') {
      throw new KernelError('EFAULT', `open: path ${describeValue(path)} is not a string`);
    }
    const vfs = this.vfs();
    const fd = this.freeFd();
    let inode = vfs.lookup(path);
    if (inode !== null && (flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL)) {
      throw new KernelError('EEXIST', `open: ${path} exists`);
    }
    if (inode === null) {
      if ((flags & O_CREAT) === 0) throw new KernelError('ENOENT', `open: ${path}: no such file`);
      inode = vfs.create(path);
    }
    const file: OpenFile = { inode, path, flags, pos: 0, refs: 1 };
    if ((flags & O_TRUNC) !== 0 && canWrite(file) && inode.size > 0) {
      unmapFileFrom(this.vm, inode, 0);
      pageCacheOf(vfs, this.vm.buddy).truncate(inode, 0);
      vfs.truncate(inode, 0);
    }
    vfs.iget(inode);
    this.fds.set(fd, file);
    return fd;
  }

  /** The open file of `fd`, or null when `fd` is not open. */
  get(fd: number): OpenFile | null {
    return this.fds.get(fd) ?? null;
  }

  /**
   * `close(fd)`.
   * @throws KernelError `EBADF` when `fd` is not open.
   */
  close(fd: number): void {
    const special = this.specials.get(fd);
    if (special !== undefined) {
      this.specials.delete(fd);
      special.refs--;
      return;
    }
    const file = this.fds.get(fd);
    if (file === undefined)
      throw new KernelError('EBADF', `close: descriptor ${describeValue(fd)} is not open`);
    this.fds.delete(fd);
    this.put(file);
  }

  /** Closes every descriptor (exit). */
  closeAll(): void {
    for (const fd of [...this.fds.keys(), ...this.specials.keys()]) this.close(fd);
  }

  /**
   * Gives an open special file (a /proc file) the lowest free descriptor.
   * @throws KernelError `EMFILE` when every descriptor is in use.
   */
  installSpecial(file: SpecialFile): number {
    const fd = this.freeFd();
    this.specials.set(fd, file);
    return fd;
  }

  /** The open special file of `fd`, or null when `fd` is not open or is a regular file. */
  special(fd: number): SpecialFile | null {
    return this.specials.get(fd) ?? null;
  }

  /** Makes this (empty) table share every open file of `parent` (fork). */
  copyFrom(parent: FileTable): void {
    if (this.size !== 0) throw new KernelBug('FileTable.copyFrom: the table is not empty');
    for (const [fd, file] of parent.fds) {
      file.refs++;
      this.fds.set(fd, file);
    }
    for (const [fd, file] of parent.specials) {
      file.refs++;
      this.specials.set(fd, file);
    }
  }

  /** `fput`: the last reference to an open file drops its inode reference. */
  private put(file: OpenFile): void {
    file.refs--;
    if (file.refs > 0) return;
    const vfs = this.vfs();
    const inode = file.inode;
    if (inode.opens === 1 && inode.nlink === 0) {
      pageCacheOf(vfs, this.vm.buddy).drop(inode, false);
    }
    vfs.iput(inode);
  }

  private freeFd(): number {
    for (let fd = FIRST_FD; fd < NR_OPEN; fd++) {
      if (!this.fds.has(fd) && !this.specials.has(fd)) return fd;
    }
    throw new KernelError('EMFILE', `open: all ${NR_OPEN} descriptors are in use`);
  }
}

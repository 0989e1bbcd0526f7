/**
 * The file I/O system calls: open(2), close(2), read(2), write(2),
 * pread(2), pwrite(2), lseek(2), ftruncate(2), following fs/open.c and
 * fs/read_write.c over mmsim's page cache.
 *
 * read and write go through the page cache a page at a time
 * (`filemap_read`, `generic_perform_write`) and copy to and from user
 * memory as `copy_to_user`/`copy_from_user` do: through the process's
 * page tables with user-mode permissions, faulting pages in. A bad user
 * buffer gives EFAULT, or the count done so far when some bytes were
 * copied (as Linux returns a short count). Every call returns the result
 * or -errno.
 *
 * Not modelled: EFBIG/RLIMIT_FSIZE, O_DIRECT, O_NONBLOCK, file locks.
 * Disk blocks are allocated at writeback, so a full disk shows as ENOSPC
 * from `PageCache.writeback`, not from write().
 */
import { Errno } from '../../page/errno.js';
import { KernelError, SegmentationFault } from '../../page/errors.js';
import { unmapFileFrom } from '../fs/file-mapping.js';
import { canRead, canWrite, type OpenFile } from '../fs/file-table.js';
import { type PageCache, pageCacheOf } from '../fs/page-cache.js';
import { O_APPEND, SEEK_CUR, SEEK_END, SEEK_SET } from '../mman.js';
import type { Process } from '../process.js';

/** A KernelError or SegmentationFault as -errno; anything else is rethrown. */
function toErrno(e: unknown): number {
  if (e instanceof KernelError) return -e.errno;
  if (e instanceof SegmentationFault) return -Errno.EFAULT;
  throw e;
}

function cacheOf(p: Process): PageCache {
  return pageCacheOf(p.files.vfs(), p.vm.buddy);
}

/** A count or offset a register can hold: a non-negative safe integer. */
function isSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** open(2): the new descriptor, or -errno. */
export function sysOpen(p: Process, path: string, flags: number): number {
  try {
    return p.files.open(path, flags);
  } catch (e) {
    return toErrno(e);
  }
}

/** close(2): 0, or -EBADF. */
export function sysClose(p: Process, fd: number): number {
  try {
    p.files.close(fd);
    return 0;
  } catch (e) {
    return toErrno(e);
  }
}

/** Copies file bytes `[pos, pos + count)` to user `buf`; bytes copied, or -errno. */
function fileRead(p: Process, file: OpenFile, buf: number, count: number, pos: number): number {
  const cache = cacheOf(p);
  const inode = file.inode;
  const ps = p.vm.arch.pageSize;
  const end = Math.min(pos + count, inode.size);
  let done = 0;
  let failure: unknown = null;
  while (pos + done < end && failure === null) {
    const at = pos + done;
    const index = Math.floor(at / ps);
    const offset = at - index * ps;
    const n = Math.min(end - at, ps - offset);
    let pfn: number;
    try {
      pfn = cache.findOrCreate(inode, index);
    } catch (e) {
      failure = e;
      break;
    }
    cache.markAccessed(pfn);
    const { copied, fault } = copyToUser(p, buf + done, p.vm.memory.read(pfn * ps + offset, n));
    failure = fault;
    done += copied;
  }
  if (failure === null) return done;
  const errno = toErrno(failure); // rethrows anything but a KernelError or SegmentationFault
  return done > 0 ? done : errno;
}

/**
 * `copy_to_user`: copies `bytes` to user `va`; stops at a faulting address
 * and returns the bytes copied with the fault.
 */
function copyToUser(p: Process, va: number, bytes: Uint8Array): { copied: number; fault: unknown } {
  const ps = p.vm.arch.pageSize;
  let done = 0;
  try {
    while (done < bytes.length) {
      const at = va + done;
      const n = Math.min(bytes.length - done, ps - (at - Math.floor(at / ps) * ps));
      p.vm.memory.write(p.mm.translate(at, true), bytes.subarray(done, done + n));
      done += n;
    }
  } catch (e) {
    return { copied: done, fault: e };
  }
  return { copied: done, fault: null };
}

/**
 * `copy_from_user`: up to `len` bytes from user `va`; fewer, with the
 * fault, when an address faults.
 */
function copyFromUser(p: Process, va: number, len: number): { bytes: Uint8Array; fault: unknown } {
  const ps = p.vm.arch.pageSize;
  const out = new Uint8Array(len);
  let done = 0;
  try {
    while (done < len) {
      const at = va + done;
      const n = Math.min(len - done, ps - (at - Math.floor(at / ps) * ps));
      out.set(p.vm.memory.read(p.mm.translate(at, false), n), done);
      done += n;
    }
  } catch (e) {
    return { bytes: out.subarray(0, done), fault: e };
  }
  return { bytes: out, fault: null };
}

/** Copies user `buf` into the file at `pos`; bytes written, or -errno. */
function fileWrite(p: Process, file: OpenFile, buf: number, count: number, pos: number): number {
  const cache = cacheOf(p);
  const vfs = p.files.vfs();
  const inode = file.inode;
  const ps = p.vm.arch.pageSize;
  let done = 0;
  let failure: unknown = null;
  while (done < count && failure === null) {
    const at = pos + done;
    const index = Math.floor(at / ps);
    const offset = at - index * ps;
    const { bytes, fault } = copyFromUser(p, buf + done, Math.min(count - done, ps - offset));
    failure = fault;
    if (bytes.length === 0) break;
    try {
      const pfn = cache.findOrCreate(inode, index);
      cache.markAccessed(pfn);
      p.vm.memory.write(pfn * ps + offset, bytes);
      cache.markDirty(inode, index);
      if (at + bytes.length > inode.size) vfs.setSize(inode, at + bytes.length);
    } catch (e) {
      failure = e;
      break;
    }
    done += bytes.length;
  }
  if (failure === null) return done;
  const errno = toErrno(failure); // rethrows anything but a KernelError or SegmentationFault
  return done > 0 ? done : errno;
}

function badFd(): number {
  return -Errno.EBADF;
}

/** read(2): bytes read (0 at end of file), or -errno. */
export function sysRead(p: Process, fd: number, buf: number, count: number): number {
  const file = p.files.get(fd);
  if (file === null || !canRead(file)) return badFd();
  if (!isSize(count)) return -Errno.EINVAL;
  const n = fileRead(p, file, buf, count, file.pos);
  if (n > 0) file.pos += n;
  return n;
}

/** write(2): bytes written, or -errno. With O_APPEND it writes at the end of the file. */
export function sysWrite(p: Process, fd: number, buf: number, count: number): number {
  const file = p.files.get(fd);
  if (file === null || !canWrite(file)) return badFd();
  if (!isSize(count)) return -Errno.EINVAL;
  if ((file.flags & O_APPEND) !== 0) file.pos = file.inode.size;
  const n = fileWrite(p, file, buf, count, file.pos);
  if (n > 0) file.pos += n;
  return n;
}

/** pread(2): reads at `off` without moving the file position. */
export function sysPread(p: Process, fd: number, buf: number, count: number, off: number): number {
  const file = p.files.get(fd);
  if (file === null || !canRead(file)) return badFd();
  if (!isSize(count) || !isSize(off)) return -Errno.EINVAL;
  return fileRead(p, file, buf, count, off);
}

/**
 * pwrite(2): writes at `off` without moving the file position. As on Linux
 * (pwrite(2), BUGS), a file opened with O_APPEND is written at its end
 * whatever `off` says.
 */
export function sysPwrite(p: Process, fd: number, buf: number, count: number, off: number): number {
  const file = p.files.get(fd);
  if (file === null || !canWrite(file)) return badFd();
  if (!isSize(count) || !isSize(off)) return -Errno.EINVAL;
  const at = (file.flags & O_APPEND) !== 0 ? file.inode.size : off;
  return fileWrite(p, file, buf, count, at);
}

/** lseek(2): the new file position, or -errno (EINVAL for a bad whence or a negative result). */
export function sysLseek(p: Process, fd: number, off: number, whence: number): number {
  const file = p.files.get(fd);
  if (file === null) return badFd();
  if (!Number.isSafeInteger(off)) return -Errno.EINVAL;
  let base: number;
  if (whence === SEEK_SET) base = 0;
  else if (whence === SEEK_CUR) base = file.pos;
  else if (whence === SEEK_END) base = file.inode.size;
  else return -Errno.EINVAL;
  const pos = base + off;
  if (!isSize(pos)) return -Errno.EINVAL;
  file.pos = pos;
  return pos;
}

/**
 * ftruncate(2): sets the size to `len`; 0 or -errno (EBADF for a bad
 * descriptor, EINVAL for a negative length or a file not open for writing).
 */
export function sysFtruncate(p: Process, fd: number, len: number): number {
  const file = p.files.get(fd);
  if (file === null) return badFd();
  if (!isSize(len) || !canWrite(file)) return -Errno.EINVAL;
  try {
    unmapFileFrom(p.vm, file.inode, Math.ceil(len / p.vm.arch.pageSize));
    cacheOf(p).truncate(file.inode, len);
    p.files.vfs().truncate(file.inode, len);
    return 0;
  } catch (e) {
    return toErrno(e);
  }
}

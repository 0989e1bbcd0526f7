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
 * Offsets and counts go through fs/file-limits.ts first (`rw_verify_area`,
 * `s_maxbytes`: EINVAL, EFBIG, short writes at the limit), exactly even
 * past 2^53. Files are sparse (fs/vfs.ts): SEEK_DATA and SEEK_HOLE see
 * their holes.
 *
 * Not modelled: RLIMIT_FSIZE, O_DIRECT, O_NONBLOCK, file locks.
 * Disk blocks are allocated at writeback, so a full disk shows as ENOSPC
 * from `PageCache.writeback`, not from write().
 */
import { Errno } from '../../page/errno.js';
import { KernelError, SegmentationFault } from '../../page/errors.js';
import { rwVerifyArea, setPos, writeCheckLimits } from '../fs/file-limits.js';
import { unmapFileFrom } from '../fs/file-mapping.js';
import { canRead, canWrite, type OpenFile } from '../fs/file-table.js';
import { type PageCache, pageCacheOf } from '../fs/page-cache.js';
import { seekDataHole } from '../fs/seek-hole.js';
import { O_APPEND, SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET } from '../mman.js';
import type { Process } from '../process.js';
import { accessOk } from '../uaccess.js';
import { userReachableBytes } from '../user-reach.js';

/** A KernelError or SegmentationFault as -errno; anything else is rethrown. */
function toErrno(e: unknown): number {
  if (e instanceof KernelError) return -e.errno;
  if (e instanceof SegmentationFault) return -Errno.EFAULT;
  throw e;
}

function cacheOf(p: Process): PageCache {
  return pageCacheOf(p.files.vfs(), p.vm.buddy);
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
  let end = Math.min(pos + count, inode.size);
  if (end <= pos) return 0;
  // Validate, then change: a buffer no copy can reach is EFAULT before the
  // page cache is touched (Linux reads the page first); see user-reach.ts.
  const reach = userReachableBytes(p.mm, buf, end - pos, true);
  if (reach === 0) return -Errno.EFAULT;
  end = pos + reach;
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
function fileWrite(p: Process, file: OpenFile, buf: number, n: number, pos: number): number {
  const cache = cacheOf(p);
  const vfs = p.files.vfs();
  const inode = file.inode;
  const ps = p.vm.arch.pageSize;
  // generic_perform_write faults the source in before it touches the page
  // cache: nothing reachable is EFAULT with nothing changed (user-reach.ts).
  const count = n === 0 ? 0 : userReachableBytes(p.mm, buf, n, false);
  if (n > 0 && count === 0) return -Errno.EFAULT;
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

/**
 * What `vfs_read`/`vfs_write` check of the buffer before anything else:
 * a count no register holds (EINVAL, mmsim's rule for a fraction, NaN or
 * an infinity), then `access_ok(buf, count)` (EFAULT: a buffer reaching
 * past user space, which any count of 2^63 or more, negative as
 * `ssize_t`, does, and a buffer no register holds, a bad pointer).
 */
function checkUserBuffer(p: Process, buf: number, count: number): number {
  if (!Number.isInteger(count)) return -Errno.EINVAL;
  // A buffer no register holds is a bad pointer: access_ok refuses it too.
  if (!accessOk(p, buf, count < 0 ? 2 ** 64 + count : count)) return -Errno.EFAULT;
  return 0;
}

/** A `loff_t` argument of pread/pwrite: -EINVAL if it is negative (checked before the descriptor), else 0. */
function checkPos(off: number): number {
  return Number.isInteger(off) && off >= 0 && off < 2 ** 63 ? 0 : -Errno.EINVAL;
}

/** `vfs_read` after the descriptor checks: bytes read at `pos` (nothing at or past `s_maxbytes`), or -errno. */
function vfsRead(p: Process, file: OpenFile, buf: number, count: number, pos: number): number {
  const bad = checkUserBuffer(p, buf, count);
  if (bad < 0) return bad;
  const n = rwVerifyArea(pos, count, p.vm.arch.pageSize);
  if (n < 0) return n;
  const maxBytes = p.files.vfs().maxBytes;
  if (n === 0 || pos >= maxBytes) return 0; // filemap_read
  return fileRead(p, file, buf, Math.min(n, maxBytes - pos), pos);
}

/**
 * `vfs_write` after the descriptor checks: bytes written at `pos` (the
 * end of the file with O_APPEND: `generic_write_checks`), or -errno
 * (EFBIG at or past `s_maxbytes`; a write running past it is cut short).
 */
function vfsWrite(p: Process, file: OpenFile, buf: number, count: number, pos: number): number {
  const bad = checkUserBuffer(p, buf, count);
  if (bad < 0) return bad;
  let n = rwVerifyArea(pos, count, p.vm.arch.pageSize);
  if (n <= 0) return n;
  const at = (file.flags & O_APPEND) !== 0 ? file.inode.size : pos;
  n = writeCheckLimits(at, n, p.files.vfs().maxBytes);
  if (n < 0) return n;
  return fileWrite(p, file, buf, n, at);
}

/** read(2): bytes read (0 at end of file), or -errno. */
export function sysRead(p: Process, fd: number, buf: number, count: number): number {
  const file = p.files.get(fd);
  if (file === null || !canRead(file)) return badFd();
  const n = vfsRead(p, file, buf, count, file.pos);
  if (n > 0) file.pos += n;
  return n;
}

/** write(2): bytes written, or -errno. With O_APPEND it writes at the end of the file. */
export function sysWrite(p: Process, fd: number, buf: number, count: number): number {
  const file = p.files.get(fd);
  if (file === null || !canWrite(file)) return badFd();
  const start = (file.flags & O_APPEND) !== 0 ? file.inode.size : file.pos;
  const n = vfsWrite(p, file, buf, count, file.pos);
  if (n > 0) file.pos = start + n;
  return n;
}

/**
 * pread(2): reads at `off` without moving the file position. A negative
 * `off` is EINVAL before the descriptor is looked at (`ksys_pread64`).
 */
export function sysPread(p: Process, fd: number, buf: number, count: number, off: number): number {
  const bad = checkPos(off);
  if (bad < 0) return bad;
  const file = p.files.get(fd);
  if (file === null || !canRead(file)) return badFd();
  return vfsRead(p, file, buf, count, off);
}

/**
 * pwrite(2): writes at `off` without moving the file position. As on Linux
 * (pwrite(2), BUGS), a file opened with O_APPEND is written at its end
 * whatever `off` says (once `off` itself passed the checks).
 */
export function sysPwrite(p: Process, fd: number, buf: number, count: number, off: number): number {
  const bad = checkPos(off);
  if (bad < 0) return bad;
  const file = p.files.get(fd);
  if (file === null || !canWrite(file)) return badFd();
  return vfsWrite(p, file, buf, count, off);
}

/**
 * lseek(2): the new file position, or -errno: EINVAL for an unknown
 * `whence` or a result below 0 or past the file system's `s_maxbytes`
 * (`vfs_setpos`); SEEK_DATA and SEEK_HOLE find the next data or hole of a
 * sparse file (ENXIO at or past end of file).
 */
export function sysLseek(p: Process, fd: number, off: number, whence: number): number {
  const file = p.files.get(fd);
  if (file === null) return badFd();
  if (!Number.isInteger(off) || off < -(2 ** 63) || off >= 2 ** 63) return -Errno.EINVAL;
  const maxBytes = p.files.vfs().maxBytes;
  let pos: number;
  if (whence === SEEK_SET) pos = off;
  else if (whence === SEEK_CUR) {
    if (off === 0) return file.pos;
    pos = file.pos + off;
  } else if (whence === SEEK_END) pos = file.inode.size + off;
  else if (whence === SEEK_DATA || whence === SEEK_HOLE) {
    pos = seekDataHole(file.inode, off, whence === SEEK_HOLE, cacheOf(p));
    if (pos < 0) return pos;
  } else return -Errno.EINVAL;
  const r = setPos(pos, maxBytes);
  if (r >= 0) file.pos = r;
  return r;
}

/**
 * ftruncate(2): sets the size to `len`; 0 or -errno, in `do_sys_ftruncate`'s
 * order: EINVAL for a negative length (before the descriptor is looked
 * at), EBADF for a bad descriptor, EINVAL for a file not open for writing,
 * EFBIG past the file system's `s_maxbytes`.
 */
export function sysFtruncate(p: Process, fd: number, len: number): number {
  if (!Number.isInteger(len) || len < 0 || len >= 2 ** 63) return -Errno.EINVAL;
  const file = p.files.get(fd);
  if (file === null) return badFd();
  if (!canWrite(file)) return -Errno.EINVAL;
  if (len > p.files.vfs().maxBytes) return -Errno.EFBIG; // inode_newsize_ok
  try {
    unmapFileFrom(p.vm, file.inode, Math.ceil(len / p.vm.arch.pageSize));
    cacheOf(p).truncate(file.inode, len);
    p.files.vfs().truncate(file.inode, len);
    return 0;
  } catch (e) {
    return toErrno(e);
  }
}

/**
 * The file system calls on special files (the /proc files a process opens:
 * fs/special-file.ts, proc/procfs.ts), following fs/read_write.c and
 * fs/open.c as they treat any file before its `file_operations` run:
 *
 * - open(2) of a path under /proc goes to the /proc tree the kernel wired
 *   into the VM (`vm.procfs`), which says whether it exists and whether
 *   this (unprivileged) process may open it;
 * - read(2)/pread(2): EBADF unless open for reading, EFAULT unless the
 *   buffer lies in user space (`access_ok`), EINVAL for a negative
 *   position, then the file's own read, which copies out with
 *   `copy_to_user`;
 * - write(2)/pwrite(2): the same with EBADF unless open for writing, and
 *   the bytes fetched with `copy_from_user`; the writer's CAP_SYS_RESOURCE
 *   is handed on (oom_score_adj);
 * - lseek(2): the file's own llseek;
 * - ftruncate(2): EINVAL unless open for writing, else 0 (procfs keeps no
 *   size);
 * - mmap(2): ENODEV (no /proc file mmsim has can be mapped).
 *
 * Counts and positions are JS numbers; one that is not a non-negative
 * safe integer is EINVAL, as for regular files.
 */
import { Errno } from '../../page/errno.js';
import type { SpecialFile } from '../fs/special-file.js';
import { O_ACCMODE, O_RDONLY, O_RDWR, O_WRONLY } from '../mman.js';
import type { Process } from '../process.js';
import { accessOk, copyFromUser, copyToUser } from '../uaccess.js';

/** A count or offset a register can hold here: a non-negative safe integer. */
function isSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** Whether open(2) of `path` goes to the /proc tree. */
export function isSpecialPath(p: Process, path: string): boolean {
  return typeof path === 'string' && p.vm.procfs !== null && p.vm.procfs.handles(path);
}

/** open(2) of a /proc path: the new descriptor, or -errno. */
export function specialOpen(p: Process, path: string, flags: number): number {
  const procfs = p.vm.procfs;
  if (procfs === null) return -Errno.ENOENT;
  const file = procfs.open(path, flags, p);
  if (typeof file === 'number') return file;
  try {
    return p.files.installSpecial(file);
  } catch {
    return -Errno.EMFILE;
  }
}

/** Whether `file` was opened for reading (`FMODE_READ`). */
function readable(file: SpecialFile): boolean {
  const access = file.flags & O_ACCMODE;
  return access === O_RDONLY || access === O_RDWR;
}

/** Whether `file` was opened for writing (`FMODE_WRITE`). */
function writable(file: SpecialFile): boolean {
  const access = file.flags & O_ACCMODE;
  return access === O_WRONLY || access === O_RDWR;
}

/**
 * read(2) (`pos` null: at the file position, which moves) or pread(2) of a
 * special file: the bytes read, or -errno.
 */
export function specialRead(
  p: Process,
  file: SpecialFile,
  buf: number,
  count: number,
  pos: number | null,
): number {
  if (pos !== null && !Number.isSafeInteger(pos)) return -Errno.EINVAL;
  if (pos !== null && pos < 0) return -Errno.EINVAL; // ksys_pread64
  if (!readable(file)) return -Errno.EBADF;
  if (!isSize(count)) return -Errno.EINVAL;
  if (!accessOk(p, buf, count)) return -Errno.EFAULT;
  const at = pos ?? file.pos;
  if (at < 0) return -Errno.EINVAL; // rw_verify_area
  let done = 0;
  const n = file.read(at, count, (bytes) => {
    const copied = copyToUser(p, buf + done, bytes);
    done += copied;
    return copied;
  });
  if (n > 0 && pos === null) file.pos += n;
  return n;
}

/**
 * write(2) (`pos` null: at the file position) or pwrite(2) of a special
 * file: the bytes written, or -errno.
 */
export function specialWrite(
  p: Process,
  file: SpecialFile,
  buf: number,
  count: number,
  pos: number | null,
): number {
  if (pos !== null && (!Number.isSafeInteger(pos) || pos < 0)) return -Errno.EINVAL;
  if (!writable(file)) return -Errno.EBADF;
  if (!isSize(count)) return -Errno.EINVAL;
  if (!accessOk(p, buf, count)) return -Errno.EFAULT;
  const at = pos ?? file.pos;
  if (at < 0) return -Errno.EINVAL;
  const n = file.write(
    at,
    count,
    (want) => {
      const bytes = copyFromUser(p, buf, want);
      return bytes.length === want ? bytes : null;
    },
    p.capSysResource,
  );
  if (n > 0 && pos === null) file.pos += n;
  return n;
}

/** lseek(2) of a special file: the new position, or -errno. */
export function specialLseek(file: SpecialFile, off: number, whence: number): number {
  if (!Number.isSafeInteger(off) || !Number.isInteger(whence)) return -Errno.EINVAL;
  return file.llseek(off, whence);
}

/** ftruncate(2) of a special file: EINVAL unless open for writing, else 0. */
export function specialFtruncate(file: SpecialFile, len: number): number {
  return isSize(len) && writable(file) ? 0 : -Errno.EINVAL;
}

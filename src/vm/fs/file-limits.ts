/**
 * The limits every file offset and count goes through on its way into the
 * file I/O system calls (fs/read_write.c `rw_verify_area`,
 * mm/filemap.c `generic_write_check_limits` and `filemap_read`,
 * fs/read_write.c `vfs_setpos`; Linux 6.18), and how mmsim keeps them
 * exact in JS numbers.
 *
 * Offsets are `loff_t` (signed 64-bit) and counts `size_t`. A JS number
 * holds every integer up to 2^53 exactly, and every double above that is
 * an integer too, so any integer-valued number is a value a register could
 * hold; a fraction, NaN or an infinity is not, and is EINVAL. The one sum
 * that could round, `pos + count` against `LLONG_MAX`, is done in BigInt.
 * Everything after these checks is below the file system's `s_maxbytes`
 * (`Vfs.maxBytes`, at most 2^48), where JS arithmetic is exact.
 *
 * - the order the syscalls check in (Linux 6.18, checked on the real
 *   kernel): pread/pwrite's negative position (EINVAL, before the
 *   descriptor), the descriptor and its mode (EBADF), `access_ok(buf,
 *   count)` (EFAULT: a count negative as `ssize_t` never passes it), then
 *   `rw_verify_area` here.
 * - `rw_verify_area`: a count that is negative as `ssize_t`, a negative
 *   position, or a position plus count past `LLONG_MAX` is EINVAL. The
 *   count is then clamped to `MAX_RW_COUNT` (`INT_MAX & PAGE_MASK`), as
 *   `vfs_read`/`vfs_write` do.
 * - reads (`filemap_read`): nothing is read at or past `s_maxbytes` (0).
 * - writes (`generic_write_check_limits`, with O_LARGEFILE, which 64-bit
 *   kernels force and glibc's `open64` sets): a position at or past
 *   `s_maxbytes` is EFBIG, a write running past it is cut short there.
 *   A zero-byte write checks nothing and returns 0. RLIMIT_FSIZE and
 *   SIGXFSZ are not modelled.
 * - `lseek` (`vfs_setpos`): a result below 0 or past `s_maxbytes` is
 *   EINVAL.
 */
import { Errno } from '../../page/errno.js';

/** `LLONG_MAX + 1`: the first value a `loff_t` cannot hold. */
const LOFF_END = 2 ** 63;

/** `MAX_RW_COUNT` (`INT_MAX & PAGE_MASK`): the most one read or write moves. */
export function maxRwCount(pageSize: number): number {
  return 2 ** 31 - pageSize;
}

/**
 * `rw_verify_area` for a transfer of `count` bytes at `pos` (`pos` null for
 * read(2)/write(2), whose position the file keeps and is always valid).
 * Returns the count to move (clamped to `MAX_RW_COUNT`), or -EINVAL.
 */
export function rwVerifyArea(pos: number | null, count: number, pageSize: number): number {
  if (!Number.isInteger(count) || count < 0 || count >= LOFF_END) return -Errno.EINVAL;
  if (pos !== null) {
    if (!Number.isInteger(pos) || pos < 0 || pos >= LOFF_END) return -Errno.EINVAL;
    // pos + count as loff_t must not wrap; exact in BigInt where doubles would round.
    if (pos + count >= 2 ** 53 && BigInt(pos) + BigInt(count) >= BigInt(LOFF_END)) {
      return -Errno.EINVAL;
    }
  }
  return Math.min(count, maxRwCount(pageSize));
}

/**
 * `generic_write_check_limits`: the bytes a write of `count` at `pos` may
 * move below `maxBytes`, or -EFBIG when `pos` is at or past it.
 */
export function writeCheckLimits(pos: number, count: number, maxBytes: number): number {
  if (count === 0) return 0;
  if (pos >= maxBytes) return -Errno.EFBIG;
  return Math.min(count, maxBytes - pos);
}

/**
 * `vfs_setpos`: `pos` if it lies in `[0, maxBytes]`, else -EINVAL. `pos`
 * may have been rounded by the caller's sum only where it is far outside
 * that range, so the answer is exact.
 */
export function setPos(pos: number, maxBytes: number): number {
  if (!(pos >= 0 && pos <= maxBytes)) return -Errno.EINVAL;
  return pos;
}

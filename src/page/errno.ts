/**
 * Linux errno numbers, as include/uapi/asm-generic/errno-base.h and errno.h
 * define them for x86, arm64 and the other generic architectures.
 *
 * System calls in mmsim return `-Errno.X` on failure (the kernel ABI); libc
 * wrappers return -1 and set `errno` to the positive value.
 */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  ENOTBLK: 15,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  EDOM: 33,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
} as const;

/** A symbolic errno name, such as `'ENOMEM'`. */
export type ErrnoCode = keyof typeof Errno;

const codeByNumber = new Map<number, ErrnoCode>(
  (Object.keys(Errno) as ErrnoCode[]).map((code) => [Errno[code], code]),
);

/**
 * The symbolic name of an errno number (`errnoName(12) === 'ENOMEM'`).
 * Accepts a negative syscall result too. Unknown numbers give `undefined`.
 */
export function errnoName(errno: number): ErrnoCode | undefined {
  return typeof errno === 'number' ? codeByNumber.get(Math.abs(errno)) : undefined;
}

/**
 * The C library's wrappers of the memory system calls, as glibc writes
 * them: `-1` (or `MAP_FAILED`, which is `-1`) on failure with `errno` set to
 * the positive error number, which stays until the next failure (a
 * successful call does not clear it).
 *
 * `brk` and `sbrk` keep the library's own idea of the break (`__curbrk`),
 * read from the kernel with `brk(0)` on first use. `brk(addr)` succeeds when
 * the kernel's new break is at least `addr`; note that, as in glibc, asking
 * for a break below the start of the heap "succeeds" without moving it,
 * since the kernel then returns the current (higher) break.
 */
import { Errno } from '../page/errno.js';
import { MAP_FAILED } from './mman.js';
import type { Process } from './process.js';

/** The C library of one process. */
export class Libc {
  /** `errno`: the positive error number of the last failed call (0 until one fails). */
  errno = 0;
  /** `__curbrk`: the break as the library last saw it; null until first used. */
  private curbrk: number | null = null;

  constructor(
    /** The process the library runs in. */
    readonly process: Process,
  ) {}

  private fail(errno: number): -1 {
    this.errno = errno;
    return -1;
  }

  /** Turns a kernel result into the C convention: the result, or -1 and errno. */
  private check(result: number): number {
    return result < 0 ? this.fail(-result) : result;
  }

  /** brk(2): sets the break to `addr`; 0, or -1 with errno ENOMEM. */
  brk(addr: number): 0 | -1 {
    if (!Number.isInteger(addr)) return this.fail(Errno.EINVAL);
    const newbrk = this.process.sys.brk(addr);
    this.curbrk = newbrk;
    if (newbrk < addr) return this.fail(Errno.ENOMEM);
    return 0;
  }

  /**
   * sbrk(3): moves the break by `increment` bytes and returns the previous
   * break (the start of the new memory when growing), or -1 with errno
   * ENOMEM. `sbrk(0)` returns the current break.
   *
   * @example
   * ```ts
   * const old = p.libc.sbrk(4096); // p.store32(old, 1) now works
   * ```
   */
  sbrk(increment: number): number {
    if (!Number.isInteger(increment)) return this.fail(Errno.EINVAL);
    if (this.curbrk === null && this.brk(0) < 0) return -1;
    const oldbrk = this.curbrk as number;
    if (increment === 0) return oldbrk;
    const limit = 2 ** (this.process.vm.arch.is64Bit ? 64 : 32);
    if (increment > 0 ? oldbrk + increment >= limit : oldbrk < -increment) {
      return this.fail(Errno.ENOMEM);
    }
    if (this.brk(oldbrk + increment) < 0) return -1;
    return oldbrk;
  }

  /** mmap(3): the address of the new mapping, or MAP_FAILED (-1) with errno. */
  mmap(addr: number, len: number, prot: number, flags: number, fd: number, off: number): number {
    const r = this.process.sys.mmap(addr, len, prot, flags, fd, off);
    if (r < 0) {
      this.fail(-r);
      return MAP_FAILED;
    }
    return r;
  }

  /** mremap(2): the mapping's (possibly new) address, or MAP_FAILED (-1) with errno. */
  mremap(oldAddr: number, oldSize: number, newSize: number, flags: number, newAddr = 0): number {
    const r = this.process.sys.mremap(oldAddr, oldSize, newSize, flags, newAddr);
    if (r < 0) {
      this.fail(-r);
      return MAP_FAILED;
    }
    return r;
  }

  /** munmap(2): 0, or -1 with errno. */
  munmap(addr: number, len: number): 0 | -1 {
    return this.check(this.process.sys.munmap(addr, len)) === -1 ? -1 : 0;
  }

  /** mprotect(2): 0, or -1 with errno. */
  mprotect(addr: number, len: number, prot: number): 0 | -1 {
    return this.check(this.process.sys.mprotect(addr, len, prot)) === -1 ? -1 : 0;
  }

  /** madvise(2): 0, or -1 with errno. */
  madvise(addr: number, len: number, advice: number): 0 | -1 {
    return this.check(this.process.sys.madvise(addr, len, advice)) === -1 ? -1 : 0;
  }
}

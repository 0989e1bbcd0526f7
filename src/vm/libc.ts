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
import { libcPrlimit, libcSetrlimit } from './libc-resource.js';
import { MAP_FAILED } from './mman.js';
import type { Process } from './process.js';
import type { Rlimit } from './resource.js';
import { toUlong } from './syscalls/vma-ops.js';

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
    // glibc compares pointers, unsigned: a "negative" address is a kernel
    // address above every break, so brk to it fails with ENOMEM.
    const bits = this.process.vm.arch.is64Bit ? 64 : 32;
    if (newbrk < (toUlong(addr, bits) ?? 2 ** bits)) return this.fail(Errno.ENOMEM);
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

  /**
   * mincore(2): 0, or -1 with errno (EINVAL, ENOMEM, EFAULT); `vec` is a
   * user address that receives one byte per page.
   *
   * @example
   * ```ts
   * if (p.libc.mincore(va, 4096, vec) === 0 && p.load8(vec) === 1) console.log('resident');
   * ```
   */
  mincore(addr: number, len: number, vec: number): 0 | -1 {
    return this.check(this.process.sys.mincore(addr, len, vec)) === -1 ? -1 : 0;
  }

  /**
   * mlock(2): 0, or -1 with errno (EPERM, ENOMEM, EAGAIN, EINVAL).
   *
   * @example
   * ```ts
   * if (p.libc.mlock(va, 4096) === -1) console.log(p.libc.errno); // e.g. Errno.ENOMEM past RLIMIT_MEMLOCK
   * ```
   */
  mlock(addr: number, len: number): 0 | -1 {
    return this.check(this.process.sys.mlock(addr, len)) === -1 ? -1 : 0;
  }

  /**
   * mlock2(2): 0, or -1 with errno.
   *
   * @example
   * ```ts
   * p.libc.mlock2(va, 4096, MLOCK_ONFAULT); // 0
   * ```
   */
  mlock2(addr: number, len: number, flags: number): 0 | -1 {
    return this.check(this.process.sys.mlock2(addr, len, flags)) === -1 ? -1 : 0;
  }

  /**
   * munlock(2): 0, or -1 with errno ENOMEM.
   *
   * @example
   * ```ts
   * p.libc.munlock(va, 4096); // 0
   * ```
   */
  munlock(addr: number, len: number): 0 | -1 {
    return this.check(this.process.sys.munlock(addr, len)) === -1 ? -1 : 0;
  }

  /**
   * mlockall(2): 0, or -1 with errno (EINVAL, EPERM, ENOMEM).
   *
   * @example
   * ```ts
   * p.libc.mlockall(MCL_FUTURE); // 0: later mappings are locked
   * ```
   */
  mlockall(flags: number): 0 | -1 {
    return this.check(this.process.sys.mlockall(flags)) === -1 ? -1 : 0;
  }

  /**
   * munlockall(2): 0.
   *
   * @example
   * ```ts
   * p.libc.munlockall(); // 0
   * ```
   */
  munlockall(): 0 | -1 {
    return this.check(this.process.sys.munlockall()) === -1 ? -1 : 0;
  }

  /**
   * getrlimit(3): the soft and hard limits of `resource` as numbers
   * (RLIM_INFINITY when unlimited), or -1 with errno EINVAL for a resource
   * that is not `0 .. RLIM_NLIMITS - 1`. The result is a union: test it
   * with `=== -1` (or `typeof r === 'number'`) before reading the fields.
   *
   * @example
   * ```ts
   * const r = p.libc.getrlimit(RLIMIT_STACK);
   * if (r !== -1) r.rlim_cur; // 8388608
   * ```
   */
  getrlimit(resource: number): Rlimit | -1 {
    const r = libcPrlimit(this.process, 0, resource, null);
    return typeof r === 'number' ? this.fail(r) : r;
  }

  /**
   * setrlimit(3): sets the soft and hard limits of `resource` (numbers, or
   * RLIM_INFINITY); 0, or -1 with errno: EINVAL for a bad resource, a soft
   * limit above the hard one or a value no `rlim_t` holds (negative,
   * fractional, not a number), EPERM to raise the hard limit without
   * CAP_SYS_RESOURCE, EFAULT when `rlim` is not an object.
   *
   * @example
   * ```ts
   * p.libc.setrlimit(RLIMIT_AS, { rlim_cur: 64 * 2 ** 20, rlim_max: RLIM_INFINITY }); // 0
   * ```
   */
  setrlimit(resource: number, rlim: Rlimit): 0 | -1 {
    const r = libcSetrlimit(this.process, resource, rlim);
    return r === 0 ? 0 : this.fail(r);
  }

  /**
   * prlimit(2) as glibc offers it: the old limits of `resource` of process
   * `pid` (0: this one), first replaced by `newLimit` when given; or -1
   * with errno (ESRCH for no such process, and as setrlimit).
   *
   * @example
   * ```ts
   * p.libc.prlimit(child.pid, RLIMIT_MEMLOCK, { rlim_cur: 0, rlim_max: 0 }); // the old limits
   * ```
   */
  prlimit(pid: number, resource: number, newLimit: Rlimit | null = null): Rlimit | -1 {
    const r = libcPrlimit(this.process, pid, resource, newLimit);
    return typeof r === 'number' ? this.fail(r) : r;
  }
}

/**
 * The memory system calls of one process, as the kernel ABI returns them:
 * the result, or a negative errno (`-Errno.ENOMEM`, ...). `brk` is the
 * exception Linux makes: it returns the new break, or the unchanged break
 * when it refuses.
 *
 * Arguments are what the registers would hold: a negative number is the
 * two's complement the kernel would see, and a value no register can hold
 * (NaN, a fraction, Infinity) is refused with EINVAL. Every call throws
 * `KernelError` ESRCH if the process has exited or was killed.
 *
 * Each call is implemented in its own module after the Linux function it
 * follows; `vma-ops.ts` holds what they share.
 */
import type { Process } from '../process.js';
import { sysBrk } from './brk.js';
import { sysMadvise } from './madvise.js';
import { sysMmap } from './mmap.js';
import { sysMprotect } from './mprotect.js';
import { sysMremap } from './mremap.js';
import { sysMunmap } from './munmap.js';

export { BRK_VM_FLAGS, sysBrk } from './brk.js';
export {
  MADV_DONTNEED_LOCKED,
  MADV_POPULATE_READ,
  MADV_POPULATE_WRITE,
  sysMadvise,
} from './madvise.js';
export { sysMmap, vmFlagsFromProt } from './mmap.js';
export { changeProtection, sysMprotect } from './mprotect.js';
export { MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE, sysMremap } from './mremap.js';
export { sysMunmap } from './munmap.js';
export {
  DEFAULT_MAX_MAP_COUNT,
  DEFAULT_MEMLOCK_LIMIT,
  DEFAULT_MMAP_MIN_ADDR,
  getUnmappedArea,
  MAP_32BIT,
  modifyVmaFlags,
  STACK_GUARD_GAP_PAGES,
  splitVma,
  unmapRange,
  type VmTunables,
  vmTunables,
} from './vma-ops.js';

/** The memory system calls, bound to one process. */
export class Syscalls {
  constructor(
    /** The calling process. */
    readonly process: Process,
  ) {}

  /**
   * brk(2): sets the program break to `addr` and returns the new break, or
   * returns the current break unchanged when the request is refused
   * (`brk(0)` reads the break).
   */
  brk(addr: number): number {
    this.process.checkRunning('brk');
    return sysBrk(this.process.mm, addr);
  }

  /**
   * mmap(2): maps `len` bytes of anonymous memory (`flags` must include
   * MAP_ANONYMOUS until files exist) and returns the address, or -errno.
   *
   * @example
   * ```ts
   * const va = p.sys.mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   * p.store32(va, 42);
   * ```
   */
  mmap(addr: number, len: number, prot: number, flags: number, fd: number, off: number): number {
    this.process.checkRunning('mmap');
    return sysMmap(this.process.mm, addr, len, prot, flags, fd, off);
  }

  /** munmap(2): unmaps every page of `[addr, addr + len)`; 0 or -errno. */
  munmap(addr: number, len: number): number {
    this.process.checkRunning('munmap');
    return sysMunmap(this.process.mm, addr, len);
  }

  /** mprotect(2): sets the protection of `[addr, addr + len)`; 0 or -errno. */
  mprotect(addr: number, len: number, prot: number): number {
    this.process.checkRunning('mprotect');
    return sysMprotect(this.process.mm, addr, len, prot);
  }

  /**
   * mremap(2): resizes the mapping at `oldAddr` from `oldSize` to `newSize`
   * bytes, in place or (with MREMAP_MAYMOVE) elsewhere, or at `newAddr`
   * (MREMAP_FIXED); returns its address, or -errno.
   */
  mremap(oldAddr: number, oldSize: number, newSize: number, flags: number, newAddr = 0): number {
    this.process.checkRunning('mremap');
    return sysMremap(this.process.mm, oldAddr, oldSize, newSize, flags, newAddr);
  }

  /** madvise(2): advises the kernel about `[addr, addr + len)`; 0 or -errno. */
  madvise(addr: number, len: number, advice: number): number {
    this.process.checkRunning('madvise');
    return sysMadvise(this.process.mm, addr, len, advice);
  }
}

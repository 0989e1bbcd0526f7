/**
 * The memory system calls of one process, as the kernel ABI returns them:
 * the result, or a negative errno (`-Errno.ENOMEM`, ...). `brk` is the
 * exception Linux makes: it returns the new break, or the unchanged break
 * when it refuses.
 *
 * Arguments are what the registers would hold: a negative number is the
 * two's complement the kernel would see, and a value no register can hold
 * (NaN, a fraction, Infinity, a BigInt, a string, an object) is refused
 * with EINVAL, or with EFAULT where the register is a user pointer (a
 * buffer, a path that is not a string): nothing is converted, and nothing
 * changes before the call has checked its arguments. No call throws for an
 * argument; every call throws `KernelError` ESRCH if the process has exited
 * or was killed.
 *
 * Each call is implemented in its own module after the Linux function it
 * follows; `vma-ops.ts` holds what they share.
 */
import type { Process } from '../process.js';
import { sysBrk } from './brk.js';
import {
  sysClose,
  sysFtruncate,
  sysLseek,
  sysOpen,
  sysPread,
  sysPwrite,
  sysRead,
  sysWrite,
} from './file-io.js';
import { sysMadvise } from './madvise.js';
import { sysMincore } from './mincore.js';
import { sysMlock, sysMlock2, sysMlockall, sysMunlock, sysMunlockall } from './mlock.js';
import { sysMmap } from './mmap.js';
import { sysMprotect } from './mprotect.js';
import { sysMremap } from './mremap.js';
import { sysMsync } from './msync.js';
import { sysMunmap } from './munmap.js';
import { sysGetrlimit, sysPrlimit64, sysSetrlimit } from './rlimit.js';
import {
  isSpecialPath,
  specialFtruncate,
  specialLseek,
  specialOpen,
  specialRead,
  specialWrite,
} from './special-io.js';

export { BRK_VM_FLAGS, sysBrk } from './brk.js';
export {
  sysClose,
  sysFtruncate,
  sysLseek,
  sysOpen,
  sysPread,
  sysPwrite,
  sysRead,
  sysWrite,
} from './file-io.js';
export {
  MADV_DONTNEED_LOCKED,
  MADV_POPULATE_READ,
  MADV_POPULATE_WRITE,
  sysMadvise,
} from './madvise.js';
export { sysMincore } from './mincore.js';
export { sysMlock, sysMlock2, sysMlockall, sysMunlock, sysMunlockall } from './mlock.js';
export { sysMmap, vmFlagsFromProt } from './mmap.js';
export { changeProtection, sysMprotect } from './mprotect.js';
export { MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE, sysMremap } from './mremap.js';
export { sysMsync } from './msync.js';
export { sysMunmap } from './munmap.js';
export {
  checkPrlimit,
  doPrlimit,
  type RlimitBits,
  sysGetrlimit,
  sysPrlimit64,
  sysSetrlimit,
} from './rlimit.js';
export {
  canDoMlock,
  dataVm,
  isDataMapping,
  lockedVm,
  mayExpandVm,
  mlockFutureOk,
} from './vm-limits.js';
export {
  DEFAULT_MAX_MAP_COUNT,
  DEFAULT_MEMLOCK_LIMIT,
  DEFAULT_MMAP_MIN_ADDR,
  DEFAULT_PAGE_CLUSTER,
  DEFAULT_SWAPPINESS,
  getUnmappedArea,
  MAP_32BIT,
  modifyVmaFlags,
  OVERCOMMIT_ALWAYS,
  OVERCOMMIT_GUESS,
  OVERCOMMIT_NEVER,
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
    const prev = this.process.enterKernel('brk');
    try {
      return sysBrk(this.process.mm, addr);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /**
   * mmap(2): maps `len` bytes of anonymous memory (MAP_ANONYMOUS) or of the
   * file open at `fd` from offset `off`, and returns the address, or -errno.
   *
   * @example
   * ```ts
   * const va = p.sys.mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   * p.store32(va, 42);
   * ```
   */
  mmap(addr: number, len: number, prot: number, flags: number, fd: number, off: number): number {
    const prev = this.process.enterKernel('mmap');
    try {
      return sysMmap(this.process.mm, addr, len, prot, flags, fd, off, this.process.files);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /** msync(2): writes back the shared file mappings of `[addr, addr + len)`; 0 or -errno. */
  msync(addr: number, len: number, flags: number): number {
    const prev = this.process.enterKernel('msync');
    try {
      return sysMsync(this.process.mm, addr, len, flags);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /** munmap(2): unmaps every page of `[addr, addr + len)`; 0 or -errno. */
  munmap(addr: number, len: number): number {
    const prev = this.process.enterKernel('munmap');
    try {
      return sysMunmap(this.process.mm, addr, len);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /**
   * mincore(2): writes one byte per page of `[addr, addr + len)` to user
   * memory at `vec`, 1 for a page in RAM (for a file mapping: in the page
   * cache; for a swapped page: in the swap cache) and 0 otherwise; 0 or
   * -errno (EINVAL for an unaligned `addr`, ENOMEM for a range outside
   * user space or with an unmapped page, after writing the bytes of the
   * mapped pages before it; EFAULT for a bad `vec`).
   *
   * @example
   * ```ts
   * const va = p.sys.mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   * p.store8(va, 1);
   * p.sys.mincore(va, 2 * 4096, vec); // 0; p.read(vec, 2) is [1, 0]
   * ```
   */
  mincore(addr: number, len: number, vec: number): number {
    const prev = this.process.enterKernel('mincore');
    try {
      return sysMincore(this.process, addr, len, vec);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /** mprotect(2): sets the protection of `[addr, addr + len)`; 0 or -errno. */
  mprotect(addr: number, len: number, prot: number): number {
    const prev = this.process.enterKernel('mprotect');
    try {
      return sysMprotect(this.process.mm, addr, len, prot);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /**
   * mremap(2): resizes the mapping at `oldAddr` from `oldSize` to `newSize`
   * bytes, in place or (with MREMAP_MAYMOVE) elsewhere, or at `newAddr`
   * (MREMAP_FIXED); returns its address, or -errno.
   */
  mremap(oldAddr: number, oldSize: number, newSize: number, flags: number, newAddr = 0): number {
    const prev = this.process.enterKernel('mremap');
    try {
      return sysMremap(this.process.mm, oldAddr, oldSize, newSize, flags, newAddr);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /** madvise(2): advises the kernel about `[addr, addr + len)`; 0 or -errno. */
  madvise(addr: number, len: number, advice: number): number {
    const prev = this.process.enterKernel('madvise');
    try {
      return sysMadvise(this.process.mm, addr, len, advice);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /**
   * mlock(2): locks the pages of `[addr, addr + len)` (widened to whole
   * pages) in memory and faults them in; 0 or -errno: EPERM when
   * RLIMIT_MEMLOCK is 0 and the process lacks CAP_IPC_LOCK, ENOMEM past
   * RLIMIT_MEMLOCK or for an unmapped address in the range (or a PROT_NONE
   * one, after locking it), EAGAIN when memory runs out while faulting in.
   *
   * @example
   * ```ts
   * const va = p.sys.mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   * p.sys.mlock(va, 8192); // 0: both pages resident and unevictable, VmLck 8 kB
   * ```
   */
  mlock(addr: number, len: number): number {
    const prev = this.process.enterKernel('mlock');
    try {
      return sysMlock(this.process, addr, len);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /**
   * mlock2(2): mlock with `flags` 0, or with MLOCK_ONFAULT lock the pages
   * only as they fault in (nothing is faulted in now); EINVAL for other
   * flags, otherwise as {@link Syscalls.mlock}.
   *
   * @example
   * ```ts
   * p.sys.mlock2(va, 8192, MLOCK_ONFAULT); // 0: VmFlags gain "lo lf"; Rss unchanged until touched
   * ```
   */
  mlock2(addr: number, len: number, flags: number): number {
    const prev = this.process.enterKernel('mlock2');
    try {
      return sysMlock2(this.process, addr, len, flags);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /**
   * munlock(2): unlocks the pages of `[addr, addr + len)`; 0, or ENOMEM for
   * an unmapped address in the range. A page another locked mapping still
   * maps stays locked.
   *
   * @example
   * ```ts
   * p.sys.munlock(va, 4096); // 0: the VMA splits in two, the first page is evictable again
   * ```
   */
  munlock(addr: number, len: number): number {
    const prev = this.process.enterKernel('munlock');
    try {
      return sysMunlock(this.process, addr, len);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /**
   * mlockall(2): MCL_CURRENT locks (and faults in) every mapping,
   * MCL_FUTURE every later mmap and brk extension, MCL_ONFAULT with either
   * locks pages only as they fault in; 0 or -errno (EINVAL for bad flags,
   * EPERM as for mlock, ENOMEM when MCL_CURRENT and the address space is
   * larger than RLIMIT_MEMLOCK).
   *
   * @example
   * ```ts
   * p.sys.mlockall(MCL_CURRENT | MCL_FUTURE); // 0 (with RLIMIT_MEMLOCK above VmSize, or capIpcLock)
   * ```
   */
  mlockall(flags: number): number {
    const prev = this.process.enterKernel('mlockall');
    try {
      return sysMlockall(this.process, flags);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /**
   * munlockall(2): unlocks every mapping and cancels MCL_FUTURE; always 0.
   *
   * @example
   * ```ts
   * p.sys.munlockall(); // 0: VmLck 0 kB
   * ```
   */
  munlockall(): number {
    const prev = this.process.enterKernel('munlockall');
    try {
      return sysMunlockall(this.process);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /**
   * getrlimit(2): writes `resource`'s limits to the `struct rlimit` at user
   * address `rlim` (two `unsigned long`s: soft, hard; all ones for
   * RLIM_INFINITY); 0, EINVAL for a resource of RLIM_NLIMITS or more,
   * EFAULT for a bad pointer.
   *
   * @example
   * ```ts
   * const buf = p.mm.startStack - 64;
   * p.sys.getrlimit(RLIMIT_STACK, buf); // 0
   * p.load32(buf); // 8388608: 8 MiB soft limit (the hard limit, at buf + 8, is infinity)
   * ```
   */
  getrlimit(resource: number, rlim: number): number {
    const prev = this.process.enterKernel('getrlimit');
    try {
      return sysGetrlimit(this.process, resource, rlim);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /**
   * setrlimit(2): sets `resource`'s limits from the `struct rlimit` at user
   * address `rlim`; 0 or -errno (EFAULT for a bad pointer, EINVAL for a bad
   * resource or a soft limit above the hard one, EPERM to raise a hard
   * limit without CAP_SYS_RESOURCE).
   *
   * @example
   * ```ts
   * const buf = p.mm.startStack - 64;
   * p.store32(buf, 0); p.store32(buf + 4, 0); // rlim_cur = 0
   * p.store32(buf + 8, 0); p.store32(buf + 12, 0); // rlim_max = 0
   * p.sys.setrlimit(RLIMIT_MEMLOCK, buf); // 0: from now on mlock is EPERM
   * ```
   */
  setrlimit(resource: number, rlim: number): number {
    const prev = this.process.enterKernel('setrlimit');
    try {
      return sysSetrlimit(this.process, resource, rlim);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /**
   * prlimit64(2): for process `pid` (0: this one), reads `resource`'s limits
   * into the `struct rlimit64` at `oldRlim` and sets them from the one at
   * `newRlim` (two u64s each; either address may be 0 for none); 0 or
   * -errno (ESRCH for no such process, and as setrlimit).
   *
   * @example
   * ```ts
   * const buf = p.mm.startStack - 64;
   * p.sys.prlimit64(0, RLIMIT_AS, 0, buf); // 0: buf holds two all-ones u64s (unlimited)
   * ```
   */
  prlimit64(pid: number, resource: number, newRlim: number, oldRlim: number): number {
    const prev = this.process.enterKernel('prlimit64');
    try {
      return sysPrlimit64(this.process, pid, resource, newRlim, oldRlim);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /** open(2): opens (O_CREAT: creates) the file at `path`; the new descriptor, or -errno. */
  open(path: string, flags: number): number {
    const prev = this.process.enterKernel('open');
    try {
      if (isSpecialPath(this.process, path)) return specialOpen(this.process, path, flags);
      return sysOpen(this.process, path, flags);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /** close(2): closes `fd`; 0 or -errno. */
  close(fd: number): number {
    const prev = this.process.enterKernel('close');
    try {
      return sysClose(this.process, fd);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /**
   * read(2): reads up to `count` bytes at the file position into user
   * memory at `buf`; the bytes read (0 at end of file), or -errno.
   *
   * @example
   * ```ts
   * const fd = p.sys.open('/data', O_RDONLY);
   * const n = p.sys.read(fd, p.mm.startStack - 4096, 4096);
   * ```
   */
  read(fd: number, buf: number, count: number): number {
    const prev = this.process.enterKernel('read');
    try {
      const special = this.process.files.special(fd);
      if (special !== null) return specialRead(this.process, special, buf, count, null);
      return sysRead(this.process, fd, buf, count);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /** write(2): writes `count` bytes of user memory at `buf` to the file; the bytes written, or -errno. */
  write(fd: number, buf: number, count: number): number {
    const prev = this.process.enterKernel('write');
    try {
      const special = this.process.files.special(fd);
      if (special !== null) return specialWrite(this.process, special, buf, count, null);
      return sysWrite(this.process, fd, buf, count);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /** pread(2): read(2) at offset `off`, leaving the file position alone. */
  pread(fd: number, buf: number, count: number, off: number): number {
    const prev = this.process.enterKernel('pread');
    try {
      const special = this.process.files.special(fd);
      if (special !== null) return specialRead(this.process, special, buf, count, off);
      return sysPread(this.process, fd, buf, count, off);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /** pwrite(2): write(2) at offset `off`, leaving the file position alone. */
  pwrite(fd: number, buf: number, count: number, off: number): number {
    const prev = this.process.enterKernel('pwrite');
    try {
      const special = this.process.files.special(fd);
      if (special !== null) return specialWrite(this.process, special, buf, count, off);
      return sysPwrite(this.process, fd, buf, count, off);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /** lseek(2): moves the file position (SEEK_SET, SEEK_CUR, SEEK_END); the new position, or -errno. */
  lseek(fd: number, off: number, whence: number): number {
    const prev = this.process.enterKernel('lseek');
    try {
      const special = this.process.files.special(fd);
      if (special !== null) return specialLseek(special, off, whence);
      return sysLseek(this.process, fd, off, whence);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /** ftruncate(2): sets the size of the file open at `fd` to `len`; 0 or -errno. */
  ftruncate(fd: number, len: number): number {
    const prev = this.process.enterKernel('ftruncate');
    try {
      const special = this.process.files.special(fd);
      if (special !== null) return specialFtruncate(special, len);
      return sysFtruncate(this.process, fd, len);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }
}

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
import { sysMmap } from './mmap.js';
import { sysMprotect } from './mprotect.js';
import { sysMremap } from './mremap.js';
import { sysMsync } from './msync.js';
import { sysMunmap } from './munmap.js';

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
export { sysMmap, vmFlagsFromProt } from './mmap.js';
export { changeProtection, sysMprotect } from './mprotect.js';
export { MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE, sysMremap } from './mremap.js';
export { sysMsync } from './msync.js';
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

  /** open(2): opens (O_CREAT: creates) the file at `path`; the new descriptor, or -errno. */
  open(path: string, flags: number): number {
    const prev = this.process.enterKernel('open');
    try {
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
      return sysRead(this.process, fd, buf, count);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /** write(2): writes `count` bytes of user memory at `buf` to the file; the bytes written, or -errno. */
  write(fd: number, buf: number, count: number): number {
    const prev = this.process.enterKernel('write');
    try {
      return sysWrite(this.process, fd, buf, count);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /** pread(2): read(2) at offset `off`, leaving the file position alone. */
  pread(fd: number, buf: number, count: number, off: number): number {
    const prev = this.process.enterKernel('pread');
    try {
      return sysPread(this.process, fd, buf, count, off);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /** pwrite(2): write(2) at offset `off`, leaving the file position alone. */
  pwrite(fd: number, buf: number, count: number, off: number): number {
    const prev = this.process.enterKernel('pwrite');
    try {
      return sysPwrite(this.process, fd, buf, count, off);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /** lseek(2): moves the file position (SEEK_SET, SEEK_CUR, SEEK_END); the new position, or -errno. */
  lseek(fd: number, off: number, whence: number): number {
    const prev = this.process.enterKernel('lseek');
    try {
      return sysLseek(this.process, fd, off, whence);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }

  /** ftruncate(2): sets the size of the file open at `fd` to `len`; 0 or -errno. */
  ftruncate(fd: number, len: number): number {
    const prev = this.process.enterKernel('ftruncate');
    try {
      return sysFtruncate(this.process, fd, len);
    } finally {
      this.process.vm.leaveKernel(prev);
    }
  }
}

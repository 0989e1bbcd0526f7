/**
 * mmap(2): `sys_mmap` (arch/x86/kernel/sys_x86_64.c), `ksys_mmap_pgoff`,
 * `do_mmap` and `mmap_region` (mm/mmap.c, mm/vma.c) of Linux 6.x, for
 * anonymous memory and files.
 *
 * The checks run in the kernel's order, so a call with several faults gets
 * the errno Linux would give: offset alignment (EINVAL), a file mapping
 * (EBADF for a descriptor not open; EINVAL with MAP_HUGETLB), length 0 (EINVAL), length overflow (ENOMEM),
 * offset overflow on 32-bit (EOVERFLOW), the map count (ENOMEM), the
 * address (`get_unmapped_area`: ENOMEM, EINVAL, EPERM), MAP_FIXED_NOREPLACE
 * (EEXIST), MAP_LOCKED with a RLIMIT_MEMLOCK of 0 and no CAP_IPC_LOCK
 * (`can_do_mlock`: EPERM), a locked mapping (MAP_LOCKED or mlockall's
 * MCL_FUTURE) past RLIMIT_MEMLOCK (EAGAIN), for a file a mapping that would end
 * past `MAX_LFS_FILESIZE` (`file_mmap_ok`: EOVERFLOW, negative offsets
 * included: -4096 is `pgoff` 2^52 - 1), the mapping type (EINVAL; for a file,
 * MAP_SHARED_VALIDATE with unknown flags: EOPNOTSUPP; MAP_SHARED with
 * PROT_WRITE on a file not open for writing, or any mapping of a file not
 * open for reading: EACCES), huge pages
 * (ENOMEM: none are reserved), RLIMIT_AS and RLIMIT_DATA (`may_expand_vm`:
 * ENOMEM, the pages MAP_FIXED replaces not counted), the overcommit charge
 * (ENOMEM) and MAP_FIXED's unmap (ENOMEM). Only then does anything change.
 * The VMA flags include `mm.defFlags` (VM_LOCKED after mlockall(MCL_FUTURE)),
 * and a locked mapping is populated unless it locks on fault.
 *
 * Flags: the VMA gets VM_READ/WRITE/EXEC from `prot`, always
 * VM_MAYREAD|VM_MAYWRITE|VM_MAYEXEC (anonymous memory may become anything),
 * VM_SHARED|VM_MAYSHARE for MAP_SHARED, VM_GROWSDOWN for MAP_GROWSDOWN,
 * VM_LOCKED for MAP_LOCKED, VM_NORESERVE for MAP_NORESERVE, and VM_ACCOUNT
 * when it is private and writable without MAP_NORESERVE (`accountable_mapping`).
 * A new private mapping merges with a compatible neighbour; a shared one
 * gets its own `SharedAnon` object (shmem's `shmem_zero_setup`), shared with
 * children after fork.
 *
 * A file mapping's VMA points at a `FileMapping` (fs/file-mapping.ts) and
 * holds an inode reference; its `pgoff` is the offset in pages. A shared
 * mapping of a file not open for writing loses VM_MAYWRITE and VM_SHARED
 * (it keeps VM_MAYSHARE), as in Linux, so mprotect cannot make it
 * writable. Faults go through the page cache (fs/file-fault.ts).
 */

import { checkInteger } from '../../page/validate.js';
import type { AddressSpace } from '../address-space.js';
import { FileMapping } from '../fs/file-mapping.js';
import { canRead, canWrite, type FileTable, type OpenFile } from '../fs/file-table.js';
import {
  MAP_ANONYMOUS,
  MAP_DENYWRITE,
  MAP_EXECUTABLE,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_GROWSDOWN,
  MAP_HUGETLB,
  MAP_LOCKED,
  MAP_NONBLOCK,
  MAP_NORESERVE,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_SHARED_VALIDATE,
  MAP_STACK,
  PROT_WRITE,
} from '../mman.js';
import {
  SharedAnon,
  VM_ACCOUNT,
  VM_GROWSDOWN,
  VM_LOCKED,
  VM_MAYEXEC,
  VM_MAYREAD,
  VM_MAYSHARE,
  VM_MAYWRITE,
  VM_NORESERVE,
  VM_SHARED,
  VM_WRITE,
  type VmaBacking,
} from '../vma.js';
import { canDoMlock, mappedPagesIn, mayExpandVm, mlockFutureOk } from './vm-limits.js';
import {
  accountedPages,
  err,
  findVmaIntersection,
  getUnmappedArea,
  insertMapping,
  longBits,
  nextShmemId,
  OVERCOMMIT_NEVER,
  pageAlign,
  populateRange,
  toIntBits,
  toUlong,
  unmapRange,
  VM_ACCESS_FLAGS,
  vmEnoughMemory,
  vmTunables,
} from './vma-ops.js';

/** The mapping-type bits of the flags (`MAP_TYPE`). */
const MAP_TYPE = 0x0f;

/** `MAP_UNINITIALIZED` (honoured only without an MMU; accepted and ignored). */
const MAP_UNINITIALIZED = 0x4000000;

/** `LEGACY_MAP_MASK`: the flags MAP_SHARED_VALIDATE accepts for a file with no extra ones. */
const LEGACY_MAP_MASK =
  MAP_SHARED |
  MAP_PRIVATE |
  MAP_FIXED |
  MAP_ANONYMOUS |
  MAP_DENYWRITE |
  MAP_EXECUTABLE |
  MAP_UNINITIALIZED |
  MAP_GROWSDOWN |
  MAP_LOCKED |
  MAP_NORESERVE |
  MAP_POPULATE |
  MAP_NONBLOCK |
  MAP_STACK |
  MAP_HUGETLB;

/**
 * `file_mmap_ok` for a regular file: the mapping must end at or below
 * `MAX_LFS_FILESIZE` (`2^63 - 1` on 64-bit, `(PAGE_SIZE << 31) - 1` on
 * 32-bit), so `pgoff + pages` must stay below `(MAX_LFS_FILESIZE + 1) /
 * PAGE_SIZE` pages: `2^(63 - PAGE_SHIFT)` or `2^31`. Whole pages keep the
 * comparison exact in doubles. A negative offset (`pgoff` of 2^51 and up
 * on x86_64) always fails it.
 */
function fileMmapOk(mm: AddressSpace, pgoff: number, len: number): boolean {
  const arch = mm.vm.arch;
  const maxPages = arch.is64Bit ? 2 ** (63 - arch.pageShift) : 2 ** 31;
  return pgoff + len / arch.pageSize < maxPages;
}

/** `calc_vm_prot_bits`: PROT_READ/WRITE/EXEC have the VM_* values. */
export function vmFlagsFromProt(prot: number): number {
  checkInteger('vmFlagsFromProt', 'prot', prot);
  return prot & VM_ACCESS_FLAGS;
}

/**
 * mmap(2). Returns the address of the new mapping, or a negative errno.
 * `addr` is a hint unless MAP_FIXED (or MAP_FIXED_NOREPLACE); `off` must be
 * page aligned (it is otherwise ignored for anonymous memory).
 */
export function sysMmap(
  mm: AddressSpace,
  addr: number,
  len: number,
  prot: number,
  flags: number,
  fd: number,
  off: number,
  files: FileTable | null = null,
): number {
  const bits = longBits(mm);
  const page = mm.vm.arch.pageSize;
  const uaddr = toUlong(addr, bits);
  const ulen = toUlong(len, bits);
  const uprot = toIntBits(prot);
  const uflags = toIntBits(flags);
  const ufd = toIntBits(fd);
  const uoff = toUlong(off, 64); // off_t is 64-bit everywhere (mmap64)
  if (
    uaddr === null ||
    ulen === null ||
    uprot === null ||
    uflags === null ||
    ufd === null ||
    uoff === null
  ) {
    return err('EINVAL');
  }
  // sys_mmap: the offset must be page aligned (checked on the signed value:
  // the unsigned form of a small negative number is not exact in a double).
  if (off % page !== 0) return err('EINVAL');
  let pgoff: number;
  if (bits === 64) {
    pgoff = uoff / page;
  } else {
    // glibc's mmap64 on a 32-bit machine passes off >> PAGE_SHIFT to mmap2,
    // refusing offsets it cannot express in 32 bits of pages.
    if (off < 0 || off / page >= 2 ** 32) return err('EINVAL');
    pgoff = off / page;
  }
  // ksys_mmap_pgoff: a file mapping needs an open file (fget), and huge
  // pages need hugetlbfs, which mmsim's file system is not.
  let file: OpenFile | null = null;
  if ((uflags & MAP_ANONYMOUS) === 0) {
    file = files?.get(ufd) ?? null;
    // A /proc file (a special file) has no mmap: ENODEV.
    if (file === null) return err(files?.special(ufd) ? 'ENODEV' : 'EBADF');
    if ((uflags & MAP_HUGETLB) !== 0) return err('EINVAL');
  }
  return doMmap(mm, uaddr, ulen, uprot, uflags, pgoff, file, files);
}

/** `do_mmap` and `mmap_region`, for anonymous memory or an open file. */
function doMmap(
  mm: AddressSpace,
  addr: number,
  len: number,
  prot: number,
  flags: number,
  pgoffArg: number,
  file: OpenFile | null,
  files: FileTable | null,
): number {
  const bits = longBits(mm);
  const page = mm.vm.arch.pageSize;
  const tunables = vmTunables(mm.vm);
  if (len === 0) return err('EINVAL');
  if ((flags & MAP_FIXED_NOREPLACE) !== 0) flags |= MAP_FIXED;
  if ((flags & MAP_FIXED) === 0) {
    // round_hint_to_min
    addr = Math.floor(addr / page) * page;
    if (addr !== 0 && addr < tunables.mmapMinAddr)
      addr = pageAlign(tunables.mmapMinAddr, page, bits);
  }
  len = pageAlign(len, page, bits);
  if (len === 0) return err('ENOMEM');
  if (pgoffArg + len / page >= 2 ** bits) return err('EOVERFLOW');
  if (mm.vmas.count > tunables.maxMapCount) return err('ENOMEM');

  let vmFlags = vmFlagsFromProt(prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  if ((flags & MAP_GROWSDOWN) !== 0) vmFlags |= VM_GROWSDOWN;
  if ((flags & MAP_LOCKED) !== 0) vmFlags |= VM_LOCKED;
  vmFlags |= mm.defFlags; // mlockall(MCL_FUTURE)

  const start = getUnmappedArea(mm, addr, len, flags, vmFlags);
  if (start < 0) return start;
  const end = start + len;
  if ((flags & MAP_FIXED_NOREPLACE) !== 0 && findVmaIntersection(mm, start, end) !== undefined) {
    return err('EEXIST');
  }
  // MAP_LOCKED needs can_do_mlock (EPERM with a RLIMIT_MEMLOCK of 0); any
  // locked mapping, MCL_FUTURE's included, must fit RLIMIT_MEMLOCK.
  if ((flags & MAP_LOCKED) !== 0 && !canDoMlock(mm)) return err('EPERM');
  if (!mlockFutureOk(mm, vmFlags, len)) return err('EAGAIN');

  let pgoff: number;
  if (file !== null) {
    if (!fileMmapOk(mm, pgoffArg, len)) return err('EOVERFLOW');
    // do_mmap's switch, whose cases fall through: MAP_SHARED_VALIDATE checks
    // the flags, then MAP_SHARED the write access, then both MAP_PRIVATE's.
    const type = flags & MAP_TYPE;
    if (type !== MAP_SHARED_VALIDATE && type !== MAP_SHARED && type !== MAP_PRIVATE) {
      return err('EINVAL');
    }
    if (type === MAP_SHARED_VALIDATE && (flags & ~LEGACY_MAP_MASK) !== 0) return err('EOPNOTSUPP');
    if (type !== MAP_PRIVATE) {
      if ((prot & PROT_WRITE) !== 0 && !canWrite(file)) return err('EACCES');
      vmFlags |= VM_SHARED | VM_MAYSHARE;
      // A file not open for writing can never be written through this mapping.
      if (!canWrite(file)) vmFlags &= ~(VM_MAYWRITE | VM_SHARED);
    }
    if (!canRead(file)) return err('EACCES');
    if ((vmFlags & VM_GROWSDOWN) !== 0) return err('EINVAL');
    pgoff = pgoffArg;
  } else {
    switch (flags & MAP_TYPE) {
      case MAP_SHARED:
        if ((vmFlags & VM_GROWSDOWN) !== 0) return err('EINVAL');
        pgoff = 0;
        vmFlags |= VM_SHARED | VM_MAYSHARE;
        break;
      case MAP_PRIVATE:
        pgoff = start / page;
        break;
      default:
        // Neither or both of MAP_PRIVATE and MAP_SHARED. Both is
        // MAP_SHARED_VALIDATE, which Linux accepts only for files: for
        // anonymous memory do_mmap's switch has no case for it.
        // MAP_DROPPABLE (0x08) is not modelled either.
        return err('EINVAL');
    }
  }
  // Anonymous huge pages come from the hugetlb pool, which holds none
  // (vm.nr_hugepages is 0): the reservation fails.
  if ((flags & MAP_HUGETLB) !== 0) return err('ENOMEM');
  // Strict overcommit ignores MAP_NORESERVE: every mapping is charged.
  if ((flags & MAP_NORESERVE) !== 0 && tunables.overcommitMemory !== OVERCOMMIT_NEVER) {
    vmFlags |= VM_NORESERVE;
  }

  // mmap_region: RLIMIT_AS and RLIMIT_DATA (counting what MAP_FIXED
  // replaces as freed), charge private writable memory, unmap what MAP_FIXED replaces.
  const pages = len / page;
  if (!mayExpandVm(mm, vmFlags, pages - mappedPagesIn(mm, start, end))) return err('ENOMEM');
  if ((vmFlags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) === VM_WRITE) {
    const charged = pages - accountedPages(mm, start, end);
    if (charged > 0 && !vmEnoughMemory(mm.vm, charged, mm)) return err('ENOMEM');
    vmFlags |= VM_ACCOUNT;
  }
  // shmem_zero_setup -> shmem_acct_size: a shared anonymous object is charged whole.
  if (file === null && (vmFlags & (VM_SHARED | VM_NORESERVE)) === VM_SHARED) {
    if (!vmEnoughMemory(mm.vm, pages, mm)) return err('ENOMEM');
  }
  if ((flags & MAP_FIXED) !== 0) {
    const r = unmapRange(mm, start, end);
    if (r < 0) return r;
  }
  const backing: VmaBacking =
    file !== null
      ? { file: new FileMapping(file.inode, (files as FileTable).vfs(), file.path), shared: null }
      : (vmFlags & VM_SHARED) !== 0
        ? { file: null, shared: new SharedAnon(nextShmemId(mm.vm), pages) }
        : { file: null, shared: null };
  insertMapping(mm, start, end, vmFlags, pgoff, backing, null);
  mm.totalVm += pages;
  mm.updateHiwater();

  if ((vmFlags & VM_LOCKED) !== 0 || (flags & (MAP_POPULATE | MAP_NONBLOCK)) === MAP_POPULATE) {
    populateRange(mm, start, end);
  }
  return start;
}

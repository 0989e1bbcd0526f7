/**
 * getrlimit(2), setrlimit(2) and prlimit64(2): `do_prlimit` and the three
 * system calls around it (kernel/sys.c of Linux 6.18).
 *
 * `struct rlimit` in user memory is two `unsigned long`s, `rlim_cur` then
 * `rlim_max` (8 bytes each on the 64-bit architectures, 4 on i386, where
 * this is `ugetrlimit`'s layout); prlimit64's `struct rlimit64` is two
 * u64s everywhere. All ones is RLIM_INFINITY. On i386 a 64-bit value of
 * `0xffffffff` or more becomes infinity (`rlim64_to_rlim`), and infinity
 * reads back as all ones in either layout (`rlim_to_rlim64`).
 *
 * `do_prlimit` rules: a resource number of RLIM_NLIMITS (16) or more is
 * EINVAL; a soft limit above the hard one is EINVAL; RLIMIT_NOFILE's hard
 * limit may not exceed `fs.nr_open` (EPERM, even with privilege); raising
 * a hard limit needs CAP_SYS_RESOURCE (EPERM); lowering either limit, or
 * raising the soft one up to the hard one, is always allowed. Every
 * resource's limits are kept (and inherited across fork); those of memory
 * (RLIMIT_AS, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_MEMLOCK) are enforced by
 * the memory system calls, the page-fault handler's stack growth and the
 * mlock family; SigQ in /proc/<pid>/status shows RLIMIT_SIGPENDING; the
 * others are only stored.
 *
 * Errors in the kernel's order (measured on Linux 6.18):
 * - getrlimit: the resource (EINVAL), then the pointer (EFAULT; NULL too).
 * - setrlimit: the pointer (EFAULT, `copy_from_user` comes first), then
 *   `do_prlimit`.
 * - prlimit64: the new-limit pointer (EFAULT) unless 0, the pid (ESRCH; 0
 *   is the caller), `do_prlimit`, the old-limit pointer (EFAULT) unless 0.
 *   Linux sets the new limit before it finds the old-limit pointer bad;
 *   mmsim checks that pointer first and changes nothing. Pointers are
 *   checked against the VMAs, and every page of the struct faulted in,
 *   before any byte is copied: a struct that runs into an unmapped or
 *   read-only page is EFAULT with nothing written, where Linux may have
 *   written its first half.
 */
import { Errno } from '../../page/errno.js';
import { KernelError, SegmentationFault } from '../../page/errors.js';
import type { Process } from '../process.js';
import {
  RLIM_NLIMITS,
  RLIM64_INFINITY_BITS,
  RLIMIT_NOFILE,
  SYSCTL_NR_OPEN,
  type TaskLimits,
} from '../resource.js';
import { VM_EXEC, VM_GROWSDOWN, VM_READ, VM_WRITE } from '../vma.js';
import { err, longBits, toIntBits, toUlong } from './vma-ops.js';

/** A pair of limits as the kernel holds them. */
export interface RlimitBits {
  readonly cur: bigint;
  readonly max: bigint;
}

/** The all-ones `unsigned long` of a 32-bit machine: RLIM_INFINITY there. */
const RLIM32_INFINITY = 0xffff_ffffn;

/**
 * The checks of `do_prlimit`, in its order: 0, or the -errno it would
 * return. `caller` is the process whose privilege counts (`capable()`
 * asks about the caller, not the target).
 */
export function checkPrlimit(
  caller: TaskLimits,
  target: TaskLimits,
  resource: number,
  next: RlimitBits | null,
): number {
  if (!(Number.isInteger(resource) && resource >= 0 && resource < RLIM_NLIMITS))
    return err('EINVAL');
  if (next === null) return 0;
  if (next.cur > next.max) return err('EINVAL');
  if (resource === RLIMIT_NOFILE && next.max > BigInt(SYSCTL_NR_OPEN)) return err('EPERM');
  // Keep the capable check against init_user_ns until cgroups can contain all limits.
  if (next.max > target.rlimits.maxBits(resource) && !caller.capSysResource) return err('EPERM');
  return 0;
}

/**
 * `do_prlimit`: reads the limits of `resource` of `target` and, with
 * `next`, replaces them, after {@link checkPrlimit}. The old limits, or -errno.
 */
export function doPrlimit(
  caller: TaskLimits,
  target: TaskLimits,
  resource: number,
  next: RlimitBits | null,
): RlimitBits | number {
  const bad = checkPrlimit(caller, target, resource, next);
  if (bad !== 0) return bad;
  const limits = target.rlimits;
  const old = { cur: limits.curBits(resource), max: limits.maxBits(resource) };
  if (next !== null) limits.setBits(resource, next.cur, next.max);
  return old;
}

/** `rlim64_to_rlim` on the machine: on 32-bit, values of `0xffffffff` and more are infinity. */
function fitLimit(p: Process, v: bigint): bigint {
  if (longBits(p.mm) === 32 && v >= RLIM32_INFINITY) return RLIM64_INFINITY_BITS;
  return v;
}

// --- user memory --------------------------------------------------------------------

/**
 * `access_ok` and the VMAs behind it: may `len` bytes at user `va` be read
 * (or written) without a signal? Judged from the VMAs, before any byte is
 * touched; an address below a stack may still be reached by growing it.
 */
function userRangeOk(p: Process, va: number, len: number, write: boolean): boolean {
  const mm = p.mm;
  if (!Number.isSafeInteger(va) || va < 0 || va + len > mm.taskSize) return false;
  const need = write ? VM_WRITE : VM_READ | VM_WRITE | VM_EXEC;
  let at = va;
  while (at < va + len) {
    const vma = mm.vmas.findVma(at);
    if (vma === undefined) return false;
    if (at < vma.start && (vma.flags & VM_GROWSDOWN) === 0) return false;
    if ((vma.flags & need) === 0) return false;
    at = vma.end;
  }
  return true;
}

/** `copy_from_user` of `len` bytes, or null (EFAULT) with nothing read. */
function copyFromUser(p: Process, va: number, len: number): DataView | null {
  if (!userRangeOk(p, va, len, false)) return null;
  const out = new Uint8Array(len);
  const page = p.vm.arch.pageSize;
  try {
    let done = 0;
    while (done < len) {
      const at = va + done;
      const n = Math.min(len - done, page - (at % page));
      out.set(p.vm.memory.read(p.mm.translate(at, false), n), done);
      done += n;
    }
  } catch (e) {
    if (e instanceof SegmentationFault || e instanceof KernelError) return null;
    throw e;
  }
  return new DataView(out.buffer);
}

/**
 * `copy_to_user` of `bytes`; false (EFAULT) when the destination is bad.
 * Every page is faulted in for writing before the first byte is copied,
 * so a failure writes nothing.
 */
function copyToUser(p: Process, va: number, bytes: Uint8Array): boolean {
  const page = p.vm.arch.pageSize;
  try {
    for (let at = va; at < va + bytes.length; at = (Math.floor(at / page) + 1) * page) {
      p.mm.translate(at, true);
    }
    let done = 0;
    while (done < bytes.length) {
      const at = va + done;
      const n = Math.min(bytes.length - done, page - (at % page));
      p.vm.memory.write(p.mm.translate(at, true), bytes.subarray(done, done + n));
      done += n;
    }
  } catch (e) {
    if (e instanceof SegmentationFault || e instanceof KernelError) return false;
    throw e;
  }
  return true;
}

/** Bytes of a `struct rlimit` field: `unsigned long`. */
function longBytes(p: Process): 4 | 8 {
  return longBits(p.mm) === 64 ? 8 : 4;
}

/** Reads a `struct rlimit` (`wide`: `struct rlimit64`) at `va`; null for EFAULT. */
function readRlimit(p: Process, va: number, wide: boolean): RlimitBits | null {
  const size = wide ? 8 : longBytes(p);
  const view = copyFromUser(p, va, 2 * size);
  if (view === null) return null;
  if (size === 8) {
    return {
      cur: fitLimit(p, view.getBigUint64(0, true)),
      max: fitLimit(p, view.getBigUint64(8, true)),
    };
  }
  return {
    cur: fitLimit(p, BigInt(view.getUint32(0, true))),
    max: fitLimit(p, BigInt(view.getUint32(4, true))),
  };
}

/** The bytes of a `struct rlimit` (`wide`: `struct rlimit64`) holding `lim`. */
function rlimitBytes(p: Process, lim: RlimitBits, wide: boolean): Uint8Array {
  const size = wide ? 8 : longBytes(p);
  const out = new Uint8Array(2 * size);
  const view = new DataView(out.buffer);
  if (size === 8) {
    view.setBigUint64(0, lim.cur, true);
    view.setBigUint64(8, lim.max, true);
  } else {
    const narrow = (v: bigint): number => Number(v === RLIM64_INFINITY_BITS ? RLIM32_INFINITY : v);
    view.setUint32(0, narrow(lim.cur), true);
    view.setUint32(4, narrow(lim.max), true);
  }
  return out;
}

/**
 * A user address argument: the `unsigned long` value; one no register holds
 * (NaN, a fraction, not a number) is a bad pointer, EFAULT where it is used.
 */
function userPointer(p: Process, ptr: number): number {
  const bits = longBits(p.mm);
  return toUlong(ptr, bits) ?? 2 ** bits;
}

// --- the system calls -----------------------------------------------------------------

/** getrlimit(2): writes the limits of `resource` to the `struct rlimit` at `rlim`. 0 or -errno. */
export function sysGetrlimit(p: Process, resource: number, rlim: number): number {
  const res = toIntBits(resource);
  const ptr = userPointer(p, rlim);
  if (res === null || !(res < RLIM_NLIMITS)) return err('EINVAL');
  const size = 2 * longBytes(p);
  if (!userRangeOk(p, ptr, size, true)) return err('EFAULT');
  const value = doPrlimit(p, p, res, null);
  if (typeof value === 'number') return value;
  return copyToUser(p, ptr, rlimitBytes(p, value, false)) ? 0 : err('EFAULT');
}

/** setrlimit(2): sets the limits of `resource` from the `struct rlimit` at `rlim`. 0 or -errno. */
export function sysSetrlimit(p: Process, resource: number, rlim: number): number {
  const res = toIntBits(resource);
  const ptr = userPointer(p, rlim);
  const next = readRlimit(p, ptr, false);
  if (next === null) return err('EFAULT');
  if (res === null) return err('EINVAL');
  const r = doPrlimit(p, p, res, next);
  return typeof r === 'number' ? r : 0;
}

/**
 * prlimit64(2): with `newRlim` (a `struct rlimit64`, or 0 for none) sets,
 * and with `oldRlim` (or 0) reads, the limits of `resource` of process
 * `pid` (0: the caller). 0 or -errno.
 */
export function sysPrlimit64(
  p: Process,
  pid: number,
  resource: number,
  newRlim: number,
  oldRlim: number,
): number {
  const upid = toIntBits(pid);
  const res = toIntBits(resource);
  const newPtr = userPointer(p, newRlim);
  const oldPtr = userPointer(p, oldRlim);
  if (upid === null || res === null) return err('EINVAL');
  let next: RlimitBits | null = null;
  if (newPtr !== 0) {
    next = readRlimit(p, newPtr, true);
    if (next === null) return err('EFAULT');
  }
  // pid_t is signed: a negative pid names no task.
  const target = upid === 0 ? p : upid >= 2 ** 31 ? undefined : p.vm.processes.get(upid);
  if (target === undefined || target.state !== 'running') return -Errno.ESRCH;
  const bad = checkPrlimit(p, target, res, next);
  if (bad !== 0) return bad;
  // Checked before anything changes (Linux finds a bad one only after setting the limit).
  if (oldPtr !== 0 && !userRangeOk(p, oldPtr, 16, true)) return err('EFAULT');
  const old = doPrlimit(p, target, res, next);
  if (typeof old === 'number') return old;
  if (oldPtr !== 0 && !copyToUser(p, oldPtr, rlimitBytes(p, old, true))) return err('EFAULT');
  return 0;
}

/**
 * The C library's resource-limit calls, as glibc implements them on Linux:
 * getrlimit(3), setrlimit(3) and prlimit(3) all go through the kernel's
 * prlimit64 (`__getrlimit64`, `__setrlimit64` call `__prlimit64`), here
 * straight into `do_prlimit` with plain objects instead of a struct in
 * user memory, so no pointer can be bad. What stays is the kernel's
 * rules: a resource of RLIM_NLIMITS or more, or a soft limit above the
 * hard one, is EINVAL; raising a hard limit without CAP_SYS_RESOURCE, or
 * RLIMIT_NOFILE's past `fs.nr_open`, is EPERM; an unknown pid is ESRCH.
 *
 * A limit is a non-negative integer number of its unit, or
 * {@link RLIM_INFINITY} (`Infinity` is taken as RLIM_INFINITY too). What C
 * could not even pass (a negative or fractional number, NaN, a string, a
 * BigInt) is EINVAL; a missing object (C's NULL) is EFAULT.
 */
import { Errno } from '../page/errno.js';
import type { Process } from './process.js';
import { RLIM64_INFINITY_BITS, type Rlimit, rlimFromBits, rlimToBits } from './resource.js';
import { doPrlimit, type RlimitBits } from './syscalls/rlimit.js';

/** A limit pair read back as numbers. */
function toRlimit(bits: RlimitBits): Rlimit {
  return { rlim_cur: rlimFromBits(bits.cur), rlim_max: rlimFromBits(bits.max) };
}

/** `resource` as the kernel's `unsigned int`, or null when no int holds it. */
function resourceArg(resource: unknown): number | null {
  if (typeof resource !== 'number' || !Number.isInteger(resource)) return null;
  if (resource < -(2 ** 31) || resource >= 2 ** 32) return null;
  return resource >>> 0;
}

/**
 * A `{ rlim_cur, rlim_max }` from the caller as the kernel would hold it
 * (on a 32-bit machine, `0xffffffff` and more become infinity), or the
 * errno for a value C could not pass.
 */
function limitArg(p: Process, rlim: unknown): RlimitBits | number {
  if (typeof rlim !== 'object' || rlim === null) return Errno.EFAULT;
  const { rlim_cur, rlim_max } = rlim as { rlim_cur?: unknown; rlim_max?: unknown };
  let cur = rlimToBits(rlim_cur);
  let max = rlimToBits(rlim_max);
  if (cur === null || max === null) return Errno.EINVAL;
  if (!p.vm.arch.is64Bit) {
    if (cur >= 0xffff_ffffn) cur = RLIM64_INFINITY_BITS;
    if (max >= 0xffff_ffffn) max = RLIM64_INFINITY_BITS;
  }
  return { cur, max };
}

/**
 * prlimit(3) for process `pid` (0: the caller): the old limits of
 * `resource`, replaced by `next` when given; or a positive errno.
 */
export function libcPrlimit(
  p: Process,
  pid: unknown,
  resource: unknown,
  next: unknown,
): Rlimit | number {
  // The kernel's order: the new limits are copied in, the task found, then do_prlimit.
  let bits: RlimitBits | null = null;
  if (next !== undefined && next !== null) {
    const parsed = limitArg(p, next);
    if (typeof parsed === 'number') return parsed;
    bits = parsed;
  }
  if (typeof pid !== 'number' || !Number.isInteger(pid)) return Errno.EINVAL;
  const res = resourceArg(resource);
  const prev = p.enterKernel('prlimit64');
  try {
    const target = pid === 0 ? p : p.vm.processes.get(pid);
    if (target === undefined) return Errno.ESRCH;
    if (res === null) return Errno.EINVAL;
    const old = doPrlimit(p, target, res, bits);
    return typeof old === 'number' ? -old : toRlimit(old);
  } finally {
    p.vm.leaveKernel(prev);
  }
}

/** setrlimit(3): 0, or a positive errno. */
export function libcSetrlimit(p: Process, resource: unknown, rlim: unknown): number {
  if (typeof rlim !== 'object' || rlim === null) return Errno.EFAULT;
  const r = libcPrlimit(p, 0, resource, rlim);
  return typeof r === 'number' ? r : 0;
}

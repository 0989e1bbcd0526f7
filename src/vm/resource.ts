/**
 * Resource limits and the two capabilities mmsim models
 * (include/uapi/asm-generic/resource.h, include/asm-generic/resource.h,
 * kernel/sys.c, include/linux/capability.h of Linux 6.18).
 *
 * Each process has the table Linux keeps in `signal_struct.rlim`: a soft
 * limit (`rlim_cur`, what the kernel enforces) and a hard limit
 * (`rlim_max`, the ceiling for the soft one) for each of the
 * `RLIM_NLIMITS` resources. The values are held exactly, as the unsigned
 * 64-bit numbers the kernel holds, in a `BigUint64Array`; the kernel's
 * checks read them as JS numbers through {@link Rlimits.cur}, where every
 * finite limit is a finite number and "unlimited" is {@link RLIM_INFINITY}.
 * A fork copies the table; a new process starts with the limits of
 * Linux's init task (`INIT_RLIMITS`), which are what a shell started by
 * init sees unless something lowers them.
 *
 * On a 32-bit machine (i386) the kernel's `unsigned long` limits are 32
 * bits wide: `RLIM_INFINITY` is `0xffffffff` there, and a 64-bit value of
 * that size or more given to prlimit64 becomes infinity (`rlim64_to_rlim`).
 *
 * Privilege: processes are unprivileged, with two capabilities that can be
 * granted at spawn and are inherited across fork: CAP_IPC_LOCK (memory
 * locks ignore RLIMIT_MEMLOCK, and a limit of 0 does not forbid them) and
 * CAP_SYS_RESOURCE (a hard limit may be raised).
 */
import type { Arch } from '../page/arch.js';
import { KernelBug } from '../page/errors.js';
import { checkCount, describeValue } from '../page/validate.js';
import type { AddressSpace } from './address-space.js';

/** CPU time in seconds. */
export const RLIMIT_CPU = 0;
/** Largest file size (bytes). */
export const RLIMIT_FSIZE = 1;
/** Data segment: the brk heap and private writable mappings (bytes). */
export const RLIMIT_DATA = 2;
/** Stack size (bytes): how far the `[stack]` may grow down. */
export const RLIMIT_STACK = 3;
/** Core file size (bytes). */
export const RLIMIT_CORE = 4;
/** Resident set size (bytes; not enforced by Linux). */
export const RLIMIT_RSS = 5;
/** Processes of the user. */
export const RLIMIT_NPROC = 6;
/** Open file descriptors (one more than the highest). */
export const RLIMIT_NOFILE = 7;
/** Memory that may be locked (bytes): mlock, mlockall, MAP_LOCKED. */
export const RLIMIT_MEMLOCK = 8;
/** Address space size (bytes): every mapping counts. */
export const RLIMIT_AS = 9;
/** File locks. */
export const RLIMIT_LOCKS = 10;
/** Pending signals. */
export const RLIMIT_SIGPENDING = 11;
/** Bytes in POSIX message queues. */
export const RLIMIT_MSGQUEUE = 12;
/** Ceiling of the nice value (20 - limit). */
export const RLIMIT_NICE = 13;
/** Ceiling of the real-time priority. */
export const RLIMIT_RTPRIO = 14;
/** Real-time CPU time without a blocking call (microseconds). */
export const RLIMIT_RTTIME = 15;
/** The number of resources: valid resource numbers are `0 .. RLIM_NLIMITS - 1`. */
export const RLIM_NLIMITS = 16;

/**
 * "No limit": the all-ones `rlim_t` (`~0UL`, 2**64 - 1 in a 64-bit field,
 * `0xffffffff` in the 32-bit fields of i386's `struct rlimit`).
 *
 * 2**64 - 1 has no exact double: this constant is the double that
 * expression evaluates to (2**64, 18446744073709551616). Compare limits
 * with it, never do arithmetic on it. Reading a limit maps the all-ones
 * pattern to this value and writing maps this value (and `Infinity`) to
 * the all-ones pattern, exactly; every finite limit reads as a smaller
 * number (the few finite values within 2**11 of 2**64 read as
 * 2**64 - 2048, the largest double below it).
 */
export const RLIM_INFINITY = 2 ** 64 - 1;

/** `RLIM64_INFINITY` as the kernel holds it. */
export const RLIM64_INFINITY_BITS = 0xffff_ffff_ffff_ffffn;

/** The largest double below 2**64: what a finite limit that rounds to 2**64 reads as. */
const BELOW_2_64 = 2 ** 64 - 2048;

/** `_STK_LIM`: RLIMIT_STACK's default soft limit, 8 MiB. */
export const STK_LIM = 8 * 2 ** 20;
/** `MLOCK_LIMIT`: RLIMIT_MEMLOCK's default since Linux 5.16, 8 MiB. */
export const MLOCK_LIMIT = 8 * 2 ** 20;
/** `INR_OPEN_CUR`: RLIMIT_NOFILE's default soft limit. */
export const INR_OPEN_CUR = 1024;
/** `INR_OPEN_MAX`: RLIMIT_NOFILE's default hard limit. */
export const INR_OPEN_MAX = 4096;
/** `MQ_BYTES_MAX`: RLIMIT_MSGQUEUE's default. */
export const MQ_BYTES_MAX = 819200;
/** `fs.nr_open` (`sysctl_nr_open`, default `1024 * 1024`): RLIMIT_NOFILE's hard limit may not exceed it. */
export const SYSCTL_NR_OPEN = 1024 * 1024;

/** Linux's names of the resources, by number, as `/proc/<pid>/limits` and prlimit(1) know them. */
export const RLIMIT_NAMES: readonly string[] = [
  'RLIMIT_CPU',
  'RLIMIT_FSIZE',
  'RLIMIT_DATA',
  'RLIMIT_STACK',
  'RLIMIT_CORE',
  'RLIMIT_RSS',
  'RLIMIT_NPROC',
  'RLIMIT_NOFILE',
  'RLIMIT_MEMLOCK',
  'RLIMIT_AS',
  'RLIMIT_LOCKS',
  'RLIMIT_SIGPENDING',
  'RLIMIT_MSGQUEUE',
  'RLIMIT_NICE',
  'RLIMIT_RTPRIO',
  'RLIMIT_RTTIME',
];

/** A soft and a hard limit, as `p.libc.getrlimit` returns them and `p.libc.setrlimit` takes them. */
export interface Rlimit {
  /** The soft limit: what is enforced. A number, or {@link RLIM_INFINITY}. */
  readonly rlim_cur: number;
  /** The hard limit: the ceiling for the soft limit. A number, or {@link RLIM_INFINITY}. */
  readonly rlim_max: number;
}

/**
 * A limit as the kernel holds it (an unsigned 64-bit bigint) read as a JS
 * number: {@link RLIM_INFINITY} for all ones, otherwise the nearest double
 * below 2**64.
 */
export function rlimFromBits(bits: bigint): number {
  if (typeof bits !== 'bigint' || bits < 0n || bits > RLIM64_INFINITY_BITS) {
    throw new KernelBug(`rlimFromBits: ${describeValue(bits)} is not an unsigned 64-bit bigint`);
  }
  if (bits === RLIM64_INFINITY_BITS) return RLIM_INFINITY;
  const n = Number(bits);
  return n >= 2 ** 64 ? BELOW_2_64 : n;
}

/**
 * A JS limit as the unsigned 64-bit value the kernel would hold, or null
 * when no `rlim_t` can be that number (negative, fractional, NaN, too
 * large, not a number). {@link RLIM_INFINITY} and `Infinity` are all ones.
 */
export function rlimToBits(value: unknown): bigint | null {
  if (typeof value !== 'number') return null;
  if (value === RLIM_INFINITY || value === Number.POSITIVE_INFINITY) return RLIM64_INFINITY_BITS;
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** 64) return null;
  return BigInt(value);
}

/** `max_threads` as `set_max_threads` computes it from the managed memory. */
export function maxThreads(arch: Arch, managedPages: number): number {
  checkCount('maxThreads', 'managed pages', managedPages);
  const threadSize =
    arch.name === 'i386' ? 8192 : arch.name === 'x86_64' ? 16384 : Math.max(16384, arch.pageSize);
  const threads = Math.floor((managedPages * arch.pageSize) / (threadSize * 8));
  return Math.min(Math.max(threads, 20), 0x3fffffff);
}

/** `resource` if it names a limit (0..RLIM_NLIMITS-1); a kernel-internal caller's bug otherwise. */
function checkResource(fn: string, resource: unknown): number {
  if (
    !(
      typeof resource === 'number' &&
      Number.isInteger(resource) &&
      resource >= 0 &&
      resource < RLIM_NLIMITS
    )
  ) {
    throw new KernelBug(`${fn}: resource ${describeValue(resource)} is not 0..${RLIM_NLIMITS - 1}`);
  }
  return resource;
}

/** The resource-limit table of one process (`signal_struct.rlim`). */
export class Rlimits {
  /** `[cur, max]` of each resource, as the kernel's unsigned values (all ones: infinity). */
  private readonly rlim = new BigUint64Array(RLIM_NLIMITS * 2);

  /**
   * The limits of Linux's init task (`INIT_RLIMITS`): everything unlimited
   * but RLIMIT_STACK (8 MiB soft), RLIMIT_CORE (0 soft), RLIMIT_NOFILE
   * (1024 / 4096), RLIMIT_MEMLOCK (8 MiB / 8 MiB), RLIMIT_MSGQUEUE
   * (819200), RLIMIT_NICE and RLIMIT_RTPRIO (0), and RLIMIT_NPROC and
   * RLIMIT_SIGPENDING (`max_threads / 2`, as `fork_init` sets them).
   */
  static initial(arch: Arch, managedPages: number): Rlimits {
    const r = new Rlimits();
    const inf = RLIM64_INFINITY_BITS;
    for (let i = 0; i < RLIM_NLIMITS; i++) r.setBits(i, inf, inf);
    const threads = BigInt(Math.floor(maxThreads(arch, managedPages) / 2));
    r.setBits(RLIMIT_STACK, BigInt(STK_LIM), inf);
    r.setBits(RLIMIT_CORE, 0n, inf);
    r.setBits(RLIMIT_NPROC, threads, threads);
    r.setBits(RLIMIT_NOFILE, BigInt(INR_OPEN_CUR), BigInt(INR_OPEN_MAX));
    r.setBits(RLIMIT_MEMLOCK, BigInt(MLOCK_LIMIT), BigInt(MLOCK_LIMIT));
    r.setBits(RLIMIT_SIGPENDING, threads, threads);
    r.setBits(RLIMIT_MSGQUEUE, BigInt(MQ_BYTES_MAX), BigInt(MQ_BYTES_MAX));
    r.setBits(RLIMIT_NICE, 0n, 0n);
    r.setBits(RLIMIT_RTPRIO, 0n, 0n);
    return r;
  }

  /** The soft limit of `resource` as a number (`rlimit()`); {@link RLIM_INFINITY} when unlimited. */
  cur(resource: number): number {
    return rlimFromBits(this.rlim[checkResource('rlimit', resource) * 2] as bigint);
  }

  /** The hard limit of `resource` as a number (`rlimit_max()`). */
  max(resource: number): number {
    return rlimFromBits(this.rlim[checkResource('rlimit_max', resource) * 2 + 1] as bigint);
  }

  /** The soft limit of `resource` exactly, all ones for infinity. */
  curBits(resource: number): bigint {
    return this.rlim[checkResource('curBits', resource) * 2] as bigint;
  }

  /** The hard limit of `resource` exactly. */
  maxBits(resource: number): bigint {
    return this.rlim[checkResource('maxBits', resource) * 2 + 1] as bigint;
  }

  /** Sets both limits of `resource` (the caller has checked them: `do_prlimit`). */
  setBits(resource: number, cur: bigint, max: bigint): void {
    checkResource('setBits', resource);
    if (typeof cur !== 'bigint' || typeof max !== 'bigint') {
      throw new KernelBug(
        `setBits: limits ${describeValue(cur)} and ${describeValue(max)} are not bigints`,
      );
    }
    this.rlim[resource * 2] = cur;
    this.rlim[resource * 2 + 1] = max;
  }

  /** Copies another table (fork: `copy_signal`). */
  copyFrom(other: Rlimits): void {
    this.rlim.set(other.rlim);
  }
}

/**
 * What mmsim keeps of a process's credentials: its resource limits and
 * whether it holds the two capabilities the memory calls ask about.
 */
export interface TaskLimits {
  /** The resource limits. */
  readonly rlimits: Rlimits;
  /** CAP_IPC_LOCK: memory locks ignore RLIMIT_MEMLOCK. */
  readonly capIpcLock: boolean;
  /** CAP_SYS_RESOURCE: hard limits may be raised. */
  readonly capSysResource: boolean;
}

/**
 * `rlimit(resource)` of the process owning `mm` (a number;
 * {@link RLIM_INFINITY} when unlimited). An address space with no owner
 * yet (fork is building it) has none of its own and is unlimited.
 */
export function mmRlimit(mm: AddressSpace, resource: number): number {
  const owner: TaskLimits | null = mm.owner;
  return owner === null ? RLIM_INFINITY : owner.rlimits.cur(resource);
}

/** `rlimit_max(resource)` of the process owning `mm`. */
export function mmRlimitMax(mm: AddressSpace, resource: number): number {
  const owner: TaskLimits | null = mm.owner;
  return owner === null ? RLIM_INFINITY : owner.rlimits.max(resource);
}

/** `capable(CAP_IPC_LOCK)` for the process owning `mm`. */
export function mmCapIpcLock(mm: AddressSpace): boolean {
  return mm.owner?.capIpcLock ?? false;
}

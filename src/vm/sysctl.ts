/**
 * The machine's tunables under /proc/sys/vm (kernel/sysctl.c, mm/*.c and
 * security/min_addr.c of Linux 6.18): one table that says, for each file,
 * the kernel variable behind it, the handler Linux validates writes with
 * and its bounds, and where mmsim keeps the value.
 *
 * Values live where the code that obeys them looks: the VM tunables of
 * `vmTunables(vm)` (overcommit, swappiness, max_map_count, mmap_min_addr,
 * page-cluster, the OOM switches) and the page allocator's watermark
 * settings (`min_free_kbytes`, `watermark_scale_factor`, whose writes
 * recompute every zone's watermarks and per-CPU list limits as
 * `setup_per_zone_wmarks` does).
 *
 * Writes are parsed as the kernel's handlers parse them
 * (`__do_proc_dointvec`, `__do_proc_doulongvec_minmax`, `proc_get_long`):
 * leading white space is skipped; the number is read by `strtoul` with base
 * 0 (`0x1f` is hex, `017` octal), with a `-` only for ints; it must end the
 * text or be followed by a space, tab or newline; a number of 21 characters
 * or more, one that overflows the variable, or one outside the handler's
 * bounds is EINVAL and changes nothing. One value is read: what follows it
 * is left unconsumed (the write returns a short count, as Linux's does). A
 * write of no bytes changes nothing and succeeds.
 *
 * Who may write: the files are root's (mode 0644). `k.sysctl` and
 * `k.writeProc` act as root with every capability; processes are not root
 * and may only read them.
 *
 * Deviation: an `unsigned long` tunable is held as a JS number, so a value
 * above 2**53 - 1 is refused with EINVAL where Linux would store it.
 */
import { KernelError } from '../page/errors.js';
import { digitValue, isSpace, parseIntegerBase0 } from './proc/kstrtox.js';
import { vmTunables } from './syscalls/vma-ops.js';
import type { VmSystem } from './vm-system.js';

/** The handler Linux gives a file (`ctl_table.proc_handler`), naming its parsing and bounds. */
export type SysctlHandler = 'proc_dointvec' | 'proc_dointvec_minmax' | 'proc_doulongvec_minmax';

/** One file under /proc/sys (a `struct ctl_table` entry). */
export interface SysctlEntry {
  /** The path under /proc/sys, slash-separated: `vm/max_map_count`. */
  readonly procname: string;
  /** The kernel variable it shows (`sysctl_max_map_count`). */
  readonly variable: string;
  /** How writes are parsed and bounded. */
  readonly handler: SysctlHandler;
  /** `extra1`: the least value a write may give (minmax handlers), if bounded. */
  readonly min?: number;
  /** `extra2`: the greatest value a write may give (minmax handlers), if bounded. */
  readonly max?: number;
  /** File mode (0o644). */
  readonly mode: number;
  /** The current value. */
  get(vm: VmSystem): number;
  /** Stores a validated value and applies it, as the handler's write side does. */
  set(vm: VmSystem, value: number): void;
}

/** `INT_MAX`. */
const INT_MAX = 2 ** 31 - 1;

/** Bounds of the `vm.*` tunables whose handlers bound them. */
const OVERCOMMIT_MAX = 2;
const SWAPPINESS_MAX = 200; // MAX_SWAPPINESS
const WATERMARK_SCALE_FACTOR_MAX = 3000;
const PAGE_CLUSTER_MAX = 31; // page_cluster_max

/** A tunable of `vmTunables(vm)`. */
function tunable(
  procname: string,
  variable: string,
  handler: SysctlHandler,
  field:
    | 'maxMapCount'
    | 'mmapMinAddr'
    | 'overcommitMemory'
    | 'overcommitRatio'
    | 'overcommitKbytes'
    | 'adminReserveKbytes'
    | 'userReserveKbytes'
    | 'swappiness'
    | 'pageCluster'
    | 'oomDumpTasks'
    | 'oomKillAllocatingTask',
  bounds: { min?: number; max?: number } = {},
  after?: (vm: VmSystem) => void,
): SysctlEntry {
  return {
    procname,
    variable,
    handler,
    ...bounds,
    mode: 0o644,
    get: (vm) => vmTunables(vm)[field],
    set: (vm, value) => {
      vmTunables(vm)[field] = value;
      after?.(vm);
    },
  };
}

/**
 * The /proc/sys/vm files mmsim models, in the order `ls /proc/sys/vm`
 * lists them. Each takes effect where mmsim has the behaviour; the file
 * says which.
 */
export const VM_SYSCTLS: readonly SysctlEntry[] = [
  // Strict overcommit keeps this much back from processes without CAP_SYS_ADMIN.
  tunable(
    'vm/admin_reserve_kbytes',
    'sysctl_admin_reserve_kbytes',
    'proc_doulongvec_minmax',
    'adminReserveKbytes',
  ),
  // Every mmap, mprotect split, munmap hole, mremap and brk checks the VMA count against it.
  tunable('vm/max_map_count', 'sysctl_max_map_count', 'proc_dointvec_minmax', 'maxMapCount', {
    min: 0,
  }),
  {
    // min_free_kbytes_sysctl_handler: setup_per_zone_wmarks (and the pcp limits).
    procname: 'vm/min_free_kbytes',
    variable: 'min_free_kbytes',
    handler: 'proc_dointvec_minmax',
    min: 0,
    mode: 0o644,
    get: (vm) => vm.buddy.minFreeKbytes,
    set: (vm, value) => vm.buddy.setWatermarkTunables(value, vm.buddy.watermarkScaleFactor),
  },
  // mmap_min_addr_handler: no LSM minimum is configured, so the value written applies as it is.
  tunable('vm/mmap_min_addr', 'dac_mmap_min_addr', 'proc_doulongvec_minmax', 'mmapMinAddr'),
  tunable('vm/oom_dump_tasks', 'sysctl_oom_dump_tasks', 'proc_dointvec', 'oomDumpTasks'),
  tunable(
    'vm/oom_kill_allocating_task',
    'sysctl_oom_kill_allocating_task',
    'proc_dointvec',
    'oomKillAllocatingTask',
  ),
  // overcommit_kbytes_handler: a successful write clears overcommit_ratio.
  tunable(
    'vm/overcommit_kbytes',
    'sysctl_overcommit_kbytes',
    'proc_doulongvec_minmax',
    'overcommitKbytes',
    {},
    (vm) => {
      vmTunables(vm).overcommitRatio = 0;
    },
  ),
  // overcommit_policy_handler.
  tunable(
    'vm/overcommit_memory',
    'sysctl_overcommit_memory',
    'proc_dointvec_minmax',
    'overcommitMemory',
    { min: 0, max: OVERCOMMIT_MAX },
  ),
  // overcommit_ratio_handler: a successful write clears overcommit_kbytes.
  tunable(
    'vm/overcommit_ratio',
    'sysctl_overcommit_ratio',
    'proc_dointvec',
    'overcommitRatio',
    {},
    (vm) => {
      vmTunables(vm).overcommitKbytes = 0;
    },
  ),
  // Stored only: mmsim reads no pages ahead on a swap fault.
  tunable('vm/page-cluster', 'page_cluster', 'proc_dointvec_minmax', 'pageCluster', {
    min: 0,
    max: PAGE_CLUSTER_MAX,
  }),
  // get_scan_count: the anon : file scan ratio is swappiness : 200 - swappiness.
  tunable('vm/swappiness', 'vm_swappiness', 'proc_dointvec_minmax', 'swappiness', {
    min: 0,
    max: SWAPPINESS_MAX,
  }),
  // Strict overcommit keeps back the smaller of this and a 32nd of the process.
  tunable(
    'vm/user_reserve_kbytes',
    'sysctl_user_reserve_kbytes',
    'proc_doulongvec_minmax',
    'userReserveKbytes',
  ),
  {
    // watermark_scale_factor_sysctl_handler: setup_per_zone_wmarks.
    procname: 'vm/watermark_scale_factor',
    variable: 'watermark_scale_factor',
    handler: 'proc_dointvec_minmax',
    min: 1,
    max: WATERMARK_SCALE_FACTOR_MAX,
    mode: 0o644,
    get: (vm) => vm.buddy.watermarkScaleFactor,
    set: (vm, value) => vm.buddy.setWatermarkTunables(vm.buddy.minFreeKbytes, value),
  },
];

const BY_PROCNAME: ReadonlyMap<string, SysctlEntry> = new Map(
  VM_SYSCTLS.map((e) => [e.procname, e]),
);

/**
 * The /proc/sys path of a sysctl name as `sysctl(8)` accepts it: dots or
 * slashes separate the parts (`vm.max_map_count`, `vm/max_map_count`); when
 * the name has a slash, dots are part of the names. Null for a name that is
 * not a string.
 */
export function sysctlProcname(name: unknown): string | null {
  if (typeof name !== 'string') return null;
  return name.includes('/') ? name : name.replaceAll('.', '/');
}

/**
 * The entry of a sysctl (`vm.swappiness`, `vm/swappiness`).
 *
 * @throws KernelError `ENOENT` for a name mmsim does not have, `EINVAL` for a name that is not a string.
 */
export function sysctlEntry(name: unknown): SysctlEntry {
  const procname = sysctlProcname(name);
  if (procname === null) {
    throw new KernelError('EINVAL', `sysctl: the name must be a string, not ${typeof name}`);
  }
  const entry = BY_PROCNAME.get(procname);
  if (entry === undefined) {
    throw new KernelError('ENOENT', `sysctl: no such key ${JSON.stringify(name)}`);
  }
  return entry;
}

/** The text a read of the file gives: the value and a newline (`%d\n`, `%lu\n`). */
export function sysctlRead(vm: VmSystem, entry: SysctlEntry): string {
  if ((entry.mode & 0o400) === 0) {
    throw new KernelError('EACCES', `sysctl: /proc/sys/${entry.procname} is not readable`);
  }
  return `${entry.get(vm)}\n`;
}

// --- parsing writes -------------------------------------------------------------------

/** `TMPBUFLEN`: `proc_get_long` looks at 21 characters at most. */
const TMPBUFLEN = 22;

/** `proc_wspace_sep`: what may follow a number. */
function isSeparator(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n';
}

/**
 * `proc_get_long`: one number at `at` (after the spaces), or null for
 * EINVAL; `next` is where it ends.
 */
function procGetLong(
  text: string,
  at: number,
  longBits: number,
): { value: bigint; neg: boolean; next: number } | null {
  const size = text.length - at;
  if (size <= 0) return null;
  const tmp = text.slice(at, at + Math.min(size, TMPBUFLEN - 1));
  let p = 0;
  let neg = false;
  if (tmp[0] === '-' && size > 1) {
    neg = true;
    p = 1;
  }
  if (digitValue(tmp[p]) > 9) return null;
  // strtoul_lenient: an overflow of unsigned long (of this machine's width) is -ERANGE.
  const parsed = parseIntegerBase0(tmp, p);
  if (parsed.overflow || parsed.value > (1n << BigInt(longBits)) - 1n) return null;
  const len = parsed.end;
  if (len === TMPBUFLEN - 1) return null;
  if (len < size && !isSeparator(tmp[len])) return null;
  return { value: parsed.value, neg, next: at + len };
}

/** What a write of one value does: the value to store (null: nothing) and the characters consumed. */
export interface SysctlWriteParse {
  readonly value: number | null;
  readonly consumed: number;
}

/**
 * Parses the text of a write as `entry`'s handler does, for a machine whose
 * `unsigned long` is `longBits` wide.
 *
 * @throws KernelError `EINVAL` for a malformed, overflowing or out-of-range value.
 */
export function parseSysctlWrite(
  entry: SysctlEntry,
  text: string,
  longBits: 32 | 64,
): SysctlWriteParse {
  const bad = (why: string): KernelError =>
    new KernelError(
      'EINVAL',
      `sysctl: ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text)} is not a valid value for ${entry.procname.replaceAll('/', '.')} (${why})`,
    );
  if (text.length === 0) return { value: null, consumed: 0 };
  let at = 0;
  while (at < text.length && isSpace(text[at])) at++;
  if (at === text.length) throw bad('no number');
  const got = procGetLong(text, at, longBits);
  if (got === null) throw bad('not a number that fits');
  let value: number;
  if (entry.handler === 'proc_doulongvec_minmax') {
    if (got.neg) throw bad('negative');
    if (got.value > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('above 2**53 - 1');
    value = Number(got.value);
  } else {
    if (got.neg ? got.value > BigInt(INT_MAX) + 1n : got.value > BigInt(INT_MAX)) {
      throw bad('not an int');
    }
    value = got.neg ? -Number(got.value) : Number(got.value);
  }
  if (entry.handler !== 'proc_dointvec') {
    if (entry.min !== undefined && value < entry.min) throw bad(`below ${entry.min}`);
    if (entry.max !== undefined && value > entry.max) throw bad(`above ${entry.max}`);
  }
  at = got.next;
  while (at < text.length && isSpace(text[at])) at++;
  return { value: value === 0 ? 0 : value, consumed: at };
}

/**
 * Writes `text` to the file of `entry` as root: parses it, stores the value
 * and applies it. Returns the characters consumed (write(2)'s count).
 *
 * @throws KernelError `EINVAL` (nothing changes), `EACCES` for a file that is not writable.
 */
export function sysctlWrite(vm: VmSystem, entry: SysctlEntry, text: string): number {
  if ((entry.mode & 0o200) === 0) {
    throw new KernelError('EACCES', `sysctl: /proc/sys/${entry.procname} is read-only`);
  }
  const parsed = parseSysctlWrite(entry, text, vm.arch.is64Bit ? 64 : 32);
  if (parsed.value !== null) entry.set(vm, parsed.value);
  return parsed.consumed;
}

/**
 * `sysctl NAME` and `sysctl -w NAME=VALUE` as root: reads a tunable, or
 * writes it and reads it back. A number must be a safe integer (it is
 * written in decimal); a string is written as it is, so `'0x10'` and
 * `'16\n'` are accepted as the file accepts them, but it must hold a value.
 *
 * @throws KernelError `ENOENT` for an unknown name; `EINVAL` for a bad
 *   value (nothing changes) or a name or value of the wrong type; `EACCES`
 *   for a file that cannot be read or written.
 *
 * @example
 * ```ts
 * sysctl(k.vm, 'vm.overcommit_memory', 2); // 2
 * sysctl(k.vm, 'vm/max_map_count');        // 65530
 * ```
 */
export function sysctl(vm: VmSystem, name: unknown, value?: unknown): number {
  const entry = sysctlEntry(name);
  if (value === undefined) {
    sysctlRead(vm, entry);
    return entry.get(vm);
  }
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new KernelError('EINVAL', `sysctl: ${value} is not an integer for ${entry.procname}`);
    }
    text = String(value);
  } else if (typeof value === 'string') {
    text = value;
  } else {
    throw new KernelError(
      'EINVAL',
      `sysctl: the value of ${entry.procname} must be a number or a string, not ${typeof value}`,
    );
  }
  if ((entry.mode & 0o200) === 0) {
    throw new KernelError('EACCES', `sysctl: /proc/sys/${entry.procname} is read-only`);
  }
  const parsed = parseSysctlWrite(entry, text, vm.arch.is64Bit ? 64 : 32);
  if (parsed.value === null) {
    throw new KernelError('EINVAL', `sysctl: no value given for ${entry.procname}`);
  }
  entry.set(vm, parsed.value);
  return entry.get(vm);
}

/**
 * `/proc/<pid>/status`: the task's identity, its memory use, and its
 * signal, capability and scheduling state, one `Field:\tvalue` a line.
 *
 * Follows `proc_pid_status`, `task_state`, `task_sig`, `task_cap`,
 * `task_seccomp`, `task_cpus_allowed`, `task_core_dumping`,
 * `task_thp_status`, `task_untag_mask` and `task_context_switch_counts` in
 * fs/proc/array.c, `task_mem` in fs/proc/task_mmu.c and
 * `hugetlb_report_usage` in mm/hugetlb.c, Linux mainline in the v6.16
 * cycle (the text is the same through v6.18), and
 * `arch_proc_pid_thread_features` in arch/x86/kernel/cpu/proc.c. The memory lines are `seq_put_decimal_ull_width(m, "Label:\t", kB,
 * 8)` followed by ` kB`:
 *
 * ```
 * VmPeak:	     136 kB
 * VmSize:	     136 kB
 * ...
 * VmRSS:	       8 kB
 * RssAnon:	       8 kB
 * ```
 *
 * Memory lines come from the address space: VmPeak and VmHWM are the
 * larger of the high-water marks and the current values (`task_mem` reads
 * them so), VmSize is `total_vm`, VmRSS the three RSS counters, VmLck
 * `locked_vm`: the VM_LOCKED VMAs, plus what a MREMAP_DONTUNMAP move of a
 * locked mapping left counted (as Linux 6.18 does). Linux keeps `data_vm`, `exec_vm` and `stack_vm` as
 * running sums; mmsim sums the VMAs each time, by `vm_stat_account`'s
 * rules: data is private writable memory that is not a stack
 * (`is_data_mapping`), exec is executable memory neither writable nor a
 * stack (`is_exec_mapping`), stack is VM_GROWSDOWN (`is_stack_mapping`).
 * VmExe is the part of exec_vm inside `[start_code, end_code)` and VmLib
 * the rest. VmPTE is `mm_pgtables_bytes`: every page table below the top
 * level (Linux does not count the PGD).
 *
 * Every other line is a fixed value: what Linux prints for a
 * single-threaded process running as root with umask 022, no pending,
 * blocked, ignored or caught signals, the full capability set of a 6.x
 * kernel (41 capabilities), no seccomp, no tracer, on every CPU of the
 * machine and on node 0, as its own process group and session leader
 * unless its parent is alive (then it shares the eldest live ancestor's).
 * No `x86_Thread_features` lines: a real Linux 6.18 x86_64 machine's file
 * (test/fixtures/linux-6.18/status) has none, its kernel being built
 * without user shadow-stack support. Per-configuration choices:
 * `Mems_allowed` is as wide as MAX_NUMNODES (1024 nodes on x86_64 distro
 * kernels, 16 on arm64's default, 1 on i386 without NUMA), `SigQ`'s limit
 * is the process's RLIMIT_SIGPENDING (by default half of `max_threads`,
 * computed from the managed memory and THREAD_SIZE as `set_max_threads`
 * does). The capability lines stay root's full set, although mmsim's
 * processes lack CAP_IPC_LOCK and CAP_SYS_RESOURCE unless spawn grants
 * them.
 *
 * An exited or killed process has no status file (its /proc directory is
 * gone), so only `R (running)` is ever printed.
 */
import type { Process } from '../process.js';
import { RLIMIT_SIGPENDING } from '../resource.js';
import { VM_EXEC, VM_GROWSDOWN, VM_LOCKED, VM_SHARED, VM_WRITE } from '../vma.js';

/** `VM_STACK`: VM_GROWSDOWN on every architecture mmsim models. */
const VM_STACK = VM_GROWSDOWN;
/** `CAP_LAST_CAP` of Linux 5.9 and later (CAP_CHECKPOINT_RESTORE). */
const CAP_LAST_CAP = 40;

/** `TASK_COMM_LEN - 1`: `comm` holds at most 15 characters. */
const TASK_COMM_CHARS = 15;

/** Page counts the mm keeps per kind of mapping (`vm_stat_account`). */
export interface VmStat {
  /** `data_vm`. */
  data: number;
  /** `exec_vm`. */
  exec: number;
  /** `stack_vm`. */
  stack: number;
  /** `locked_vm`. */
  locked: number;
}

/** Sums the VMAs of `process` by `vm_stat_account`'s rules, in pages. */
export function vmStat(process: Process): VmStat {
  const pageSize = process.vm.arch.pageSize;
  const stat: VmStat = { data: 0, exec: 0, stack: 0, locked: 0 };
  for (const vma of process.mm.vmas.all()) {
    const pages = (vma.end - vma.start) / pageSize;
    const f = vma.flags;
    if ((f & (VM_EXEC | VM_WRITE | VM_STACK)) === VM_EXEC) stat.exec += pages;
    else if ((f & VM_STACK) === VM_STACK) stat.stack += pages;
    else if ((f & (VM_WRITE | VM_SHARED | VM_STACK)) === VM_WRITE) stat.data += pages;
    if ((f & VM_LOCKED) !== 0) stat.locked += pages;
  }
  // What a MREMAP_DONTUNMAP move of a locked mapping left in locked_vm.
  stat.locked += process.mm.lockedVmStale;
  return stat;
}

/** `seq_put_decimal_ull_width(m, "Label:\t", kB, 8)` and ` kB`. */
function kBLine(label: string, kB: number): string {
  return `${label}:\t${String(Math.floor(kB)).padStart(8)} kB\n`;
}

/**
 * `proc_task_name(m, p, true)`: `comm` (15 characters at most), with a
 * newline and a backslash escaped (`seq_escape_str(..., "\n\\")`).
 */
function taskName(name: string): string {
  return name.slice(0, TASK_COMM_CHARS).replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

/**
 * `%*pb`: a bitmap of `bits` bits as comma-separated 32-bit hex words,
 * most significant first, the first word only as wide as its bits need.
 */
function bitmapHex(bits: number, set: (bit: number) => boolean): string {
  const words: string[] = [];
  for (let base = 0; base < bits; base += 32) {
    const width = Math.min(32, bits - base);
    let word = 0;
    for (let b = 0; b < width; b++) if (set(base + b)) word += 2 ** b;
    words.push(word.toString(16).padStart(Math.ceil(width / 4), '0'));
  }
  return words.reverse().join(',');
}

/** `%*pbl`: a bitmap of the first `n` bits all set, as a range list. */
function rangeList(n: number): string {
  return n === 1 ? '0' : `0-${n - 1}`;
}

/** The pgid and sid: the eldest live ancestor's pid (the process's own pid when its parent is gone). */
function sessionLeader(process: Process): number {
  let leader = process;
  const seen = new Set<number>([process.pid]);
  for (;;) {
    const parent = process.vm.processes.get(leader.ppid);
    if (parent === undefined || seen.has(parent.pid)) return leader.pid;
    seen.add(parent.pid);
    leader = parent;
  }
}

/** `task_mem`, `hugetlb_report_usage`. */
function taskMem(process: Process): string {
  const mm = process.mm;
  const arch = process.vm.arch;
  const kBPerPage = arch.pageSize / 1024;
  const pageMask = arch.pageSize;
  const c = mm.counters;
  const stat = vmStat(process);
  const totalVm = mm.totalVm;
  const hiwaterVm = Math.max(totalVm, c.hiwaterVm);
  const rss = c.anon + c.file + c.shmem;
  const hiwaterRss = Math.max(rss, c.hiwaterRss);
  // text = PAGE_ALIGN(end_code) - (start_code & PAGE_MASK), at most exec_vm.
  const text = Math.min(
    Math.ceil(mm.endCode / pageMask) * pageMask - Math.floor(mm.startCode / pageMask) * pageMask,
    stat.exec * arch.pageSize,
  );
  const lib = stat.exec * arch.pageSize - text;
  // mm_pgtables_bytes: the tables below the PGD (mmsim's counter includes the PGD).
  const pgtablesBytes = Math.max(0, c.pgtables - 1) * arch.pageSize;
  return (
    kBLine('VmPeak', hiwaterVm * kBPerPage) +
    kBLine('VmSize', totalVm * kBPerPage) +
    kBLine('VmLck', stat.locked * kBPerPage) +
    kBLine('VmPin', 0) +
    kBLine('VmHWM', hiwaterRss * kBPerPage) +
    kBLine('VmRSS', rss * kBPerPage) +
    kBLine('RssAnon', c.anon * kBPerPage) +
    kBLine('RssFile', c.file * kBPerPage) +
    kBLine('RssShmem', c.shmem * kBPerPage) +
    kBLine('VmData', stat.data * kBPerPage) +
    kBLine('VmStk', stat.stack * kBPerPage) +
    kBLine('VmExe', text / 1024) +
    kBLine('VmLib', lib / 1024) +
    kBLine('VmPTE', pgtablesBytes / 1024) +
    kBLine('VmSwap', c.swap * kBPerPage) +
    `HugetlbPages:\t${String(0).padStart(8)} kB\n`
  );
}

/** `task_sig`'s `rlimit(RLIMIT_SIGPENDING)`: unsigned, all ones when unlimited. */
function sigpendingLimit(process: Process): string {
  return process.rlimits.curBits(RLIMIT_SIGPENDING).toString();
}

/**
 * Renders `/proc/<pid>/status` for `process`, as Linux prints it for a
 * single-threaded root process (see the module comment for the fixed
 * lines).
 *
 * @param process - a live process; it is only read.
 * @returns the file's text.
 *
 * @example
 * ```ts
 * const k = Kernel.boot({ memory: '32M' });
 * renderStatus(k.spawn({ name: 'demo' })).split('\n')[0]; // 'Name:\tdemo'
 * ```
 */
export function renderStatus(process: Process): string {
  const arch = process.vm.arch;
  const cpus = process.vm.buddy.cpus;
  const leader = sessionLeader(process);
  const is64 = arch.is64Bit;
  const sigset = '0'.repeat(16); // _NSIG = 64 signals, 4 a digit
  const capFull = (2 ** (CAP_LAST_CAP + 1) - 1).toString(16).padStart(16, '0');
  const capNone = '0'.repeat(16);
  const memsBits = arch.name === 'x86_64' ? 1024 : arch.name === 'i386' ? 1 : 16;
  let out = `Name:\t${taskName(process.name)}\n`;
  out +=
    'Umask:\t0022\n' +
    'State:\tR (running)\n' +
    `Tgid:\t${process.pid}\n` +
    'Ngid:\t0\n' +
    `Pid:\t${process.pid}\n` +
    `PPid:\t${process.ppid}\n` +
    'TracerPid:\t0\n' +
    'Uid:\t0\t0\t0\t0\n' +
    'Gid:\t0\t0\t0\t0\n' +
    `FDSize:\t${is64 ? 64 : 32}\n` +
    'Groups:\t \n' +
    `NStgid:\t${process.pid}\n` +
    `NSpid:\t${process.pid}\n` +
    `NSpgid:\t${leader}\n` +
    `NSsid:\t${leader}\n` +
    'Kthread:\t0\n';
  out += taskMem(process);
  out +=
    'CoreDumping:\t0\n' +
    'THP_enabled:\t1\n' +
    `untag_mask:\t0x${is64 ? 'ffffffffffffffff' : 'ffffffff'}\n`;
  out +=
    'Threads:\t1\n' +
    `SigQ:\t0/${sigpendingLimit(process)}\n` +
    `SigPnd:\t${sigset}\n` +
    `ShdPnd:\t${sigset}\n` +
    `SigBlk:\t${sigset}\n` +
    `SigIgn:\t${sigset}\n` +
    `SigCgt:\t${sigset}\n`;
  out +=
    `CapInh:\t${capNone}\n` +
    `CapPrm:\t${capFull}\n` +
    `CapEff:\t${capFull}\n` +
    `CapBnd:\t${capFull}\n` +
    `CapAmb:\t${capNone}\n`;
  out +=
    'NoNewPrivs:\t0\n' +
    'Seccomp:\t0\n' +
    'Seccomp_filters:\t0\n' +
    `Speculation_Store_Bypass:\t${arch.name.startsWith('arm64') ? 'not vulnerable' : 'thread vulnerable'}\n` +
    `SpeculationIndirectBranch:\t${arch.name.startsWith('arm64') ? 'unknown' : 'conditional enabled'}\n`;
  out +=
    `Cpus_allowed:\t${bitmapHex(cpus, () => true)}\n` +
    `Cpus_allowed_list:\t${rangeList(cpus)}\n` +
    `Mems_allowed:\t${bitmapHex(memsBits, (bit) => bit === 0)}\n` +
    'Mems_allowed_list:\t0\n';
  out += 'voluntary_ctxt_switches:\t0\n' + 'nonvoluntary_ctxt_switches:\t0\n';
  return out;
}

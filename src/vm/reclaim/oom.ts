/**
 * The OOM killer (mm/oom_kill.c, Linux 6.x): when reclaim cannot free
 * enough for an allocation that must not fail, kill the process whose
 * death frees the most.
 *
 * `oom_badness` scores a process by what it holds, in pages: resident
 * pages + swap entries + page-table pages, plus `oom_score_adj` thousandths
 * of all memory (RAM and swap). A process with `oom_score_adj` -1000 is
 * never chosen. Ties go to the later process in pid order, as the kernel's
 * `oom_evaluate_task` keeps the last of equal scores.
 *
 * The kill is logged as `dump_header`, `dump_tasks`, `dump_oom_victim` and
 * `__oom_kill_process` log it, counted in `oom_kill`, and the victim's
 * memory is freed at once, as the OOM reaper would (and logged as it
 * does). A victim that is itself in the kernel (the allocation is for its
 * own fault or system call) cannot be torn down under its own feet: it is
 * marked, its allocation fails, and it is torn down on the way out of the
 * kernel.
 *
 * Two sysctls apply (`vmTunables`): `vm.oom_dump_tasks` 0 leaves the task
 * list out of the report, and `vm.oom_kill_allocating_task` makes the
 * allocating process the victim without a scan when it may be killed
 * (`Out of memory (oom_kill_allocating_task): Killed process ...`).
 *
 * Linux panics when nothing can be killed; mmsim logs the same line and
 * lets the allocation fail, since a kernel-internal allocator returns
 * NULL rather than stopping the machine.
 */
import type { Gfp } from '../../gfp/flags.js';
import { formatGfp } from '../../gfp/format.js';
import { LogLevel } from '../../page/kernel-log.js';
import { checkCount } from '../../page/validate.js';
import type { Process } from '../process.js';
import { vmTunables } from '../syscalls/vma-ops.js';
import type { VmSystem } from '../vm-system.js';

/** `OOM_SCORE_ADJ_MIN`: never kill. */
export const OOM_SCORE_ADJ_MIN = -1000;
/** `OOM_SCORE_ADJ_MAX`. */
export const OOM_SCORE_ADJ_MAX = 1000;

/**
 * `oom_badness`: the victim score of `p` against `totalPages` of RAM and
 * swap, or null for a process that may not be killed.
 */
export function oomBadness(p: Process, totalPages: number): number | null {
  checkCount('oomBadness', 'totalPages', totalPages);
  if (p.state !== 'running' || p.oomScoreAdj === OOM_SCORE_ADJ_MIN) return null;
  const c = p.mm.counters;
  const points = p.mm.rss + c.swap + c.pgtables;
  // adj *= totalpages / 1000, in C's integer arithmetic.
  return points + p.oomScoreAdj * Math.floor(totalPages / 1000);
}

/** The OOM killer of one machine. */
export class OomKiller {
  /** Victims chosen while busy in the kernel, torn down on its way out. */
  private readonly pending: Process[] = [];
  private readonly oomKillSlot: number;

  constructor(
    readonly vm: VmSystem,
    /** Pages of swap (`total_swap_pages`), 0 without swap. */
    private readonly swapPages: number,
  ) {
    this.oomKillSlot = vm.buddy.events.register('oom_kill');
  }

  /** RAM and swap in pages (`oc->totalpages`). */
  totalPages(): number {
    let ram = 0;
    for (const zone of this.vm.buddy.zones) ram += zone.managed;
    return ram + this.swapPages;
  }

  /**
   * `out_of_memory`: chooses and kills a victim. Returns whether memory
   * was freed (false when nothing could be killed, or when the victim is
   * the process the allocation is for).
   */
  outOfMemory(gfp: Gfp, order: number): boolean {
    const vm = this.vm;
    const log = vm.buddy.log;
    const total = this.totalPages();
    const current = vm.current;
    const tunables = vmTunables(vm);
    // vm.oom_kill_allocating_task: the task that asked is the victim, without a scan, if it may be killed.
    const allocating =
      tunables.oomKillAllocatingTask !== 0 &&
      current !== null &&
      current.state === 'running' &&
      !current.oomKilled &&
      current.oomScoreAdj !== OOM_SCORE_ADJ_MIN;
    let victim: Process | null = allocating ? current : null;
    let best = Number.NEGATIVE_INFINITY;
    for (const p of allocating ? [] : vm.processes.values()) {
      // An earlier victim not yet torn down: wait for it (the "abort" of oom_evaluate_task).
      if (p.oomKilled) return false;
      const points = oomBadness(p, total);
      if (points === null || points < best) continue;
      best = points;
      victim = p;
    }
    log.printk(
      LogLevel.WARNING,
      `${current?.name ?? vm.buddy.comm()} invoked oom-killer: gfp_mask=0x${gfp.toString(16)}(${formatGfp(gfp)}), order=${order}, oom_score_adj=${current?.oomScoreAdj ?? 0}`,
    );
    if (tunables.oomDumpTasks !== 0) this.dumpTasks();
    if (victim === null) {
      log.printk(LogLevel.WARNING, 'Out of memory and no killable processes...');
      return false;
    }
    const kib = vm.arch.pageSize / 1024;
    const c = victim.mm.counters;
    log.printk(
      LogLevel.INFO,
      `oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=${victim.name},pid=${victim.pid},uid=0`,
    );
    log.printk(
      LogLevel.ERR,
      `${allocating ? 'Out of memory (oom_kill_allocating_task)' : 'Out of memory'}: Killed process ${victim.pid} (${victim.name}) total-vm:${victim.mm.totalVm * kib}kB, anon-rss:${c.anon * kib}kB, file-rss:${c.file * kib}kB, shmem-rss:${c.shmem * kib}kB, UID:0 pgtables:${c.pgtables * kib}kB oom_score_adj:${victim.oomScoreAdj}`,
    );
    vm.buddy.events.add(this.oomKillSlot, 1);
    victim.oomKilled = true;
    if (victim === current) {
      this.pending.push(victim);
      return false;
    }
    this.reap(victim);
    return true;
  }

  /** Tears down the victims that were busy when chosen (on the way out of the kernel). */
  reapPending(): void {
    while (this.pending.length > 0) {
      const victim = this.pending.shift() as Process;
      if (victim.state === 'running') this.reap(victim);
    }
  }

  /** Whether a victim waits to be torn down. */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** The OOM reaper's work: every frame, table and swap slot of the victim is freed. */
  private reap(victim: Process): void {
    victim.release('killed');
    this.vm.buddy.log.printk(
      LogLevel.INFO,
      `oom_reaper: reaped process ${victim.pid} (${victim.name}), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB`,
    );
  }

  /** `dump_tasks`: one line per process, memory in pages. */
  private dumpTasks(): void {
    const log = this.vm.buddy.log;
    log.printk(LogLevel.INFO, 'Tasks state (memory values in pages):');
    log.printk(
      LogLevel.INFO,
      '[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name',
    );
    const pageSize = this.vm.arch.pageSize;
    for (const p of this.vm.processes.values()) {
      if (p.state !== 'running') continue;
      const c = p.mm.counters;
      const cols = [
        `[${String(p.pid).padStart(7)}]`,
        String(0).padStart(5),
        String(p.pid).padStart(5),
        String(p.mm.totalVm).padStart(8),
        String(p.mm.rss).padStart(8),
        String(c.anon).padStart(8),
        String(c.file).padStart(8),
        String(c.shmem).padStart(9),
        String(c.pgtables * pageSize).padStart(8),
        String(c.swap).padStart(8),
      ];
      log.printk(
        LogLevel.INFO,
        `${cols.join(' ')}         ${String(p.oomScoreAdj).padStart(5)} ${p.name}`,
      );
    }
  }
}

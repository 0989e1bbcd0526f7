/**
 * The OOM killer (src/vm/reclaim/oom.ts) on machines without swap, where
 * nothing a process holds can be reclaimed: who dies (the largest
 * `oom_badness`, computed here from the victim's counters, ties to the
 * later pid, `oom_score_adj` -1000 exempt and +1000 first), what the kill
 * looks like (state, teardown, later use, dmesg in the kernel's words,
 * `oom_kill`), which requests may not kill (`GFP_NOFS`, `GFP_NOIO`,
 * `__GFP_RETRY_MAYFAIL`, `__GFP_NORETRY`, `__GFP_THISNODE`, costly orders,
 * lowmem-only requests, `GFP_ATOMIC`, `GFP_NOWAIT`), and that survivors
 * keep every byte and nothing leaks.
 *
 * The expected log lines are written from mm/oom_kill.c (Linux 6.x):
 * `dump_header`, `dump_task`, `dump_oom_victim`, `__oom_kill_process` and
 * `oom_reap_task_mm`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  __GFP_DMA,
  __GFP_NOFAIL,
  __GFP_NORETRY,
  __GFP_RETRY_MAYFAIL,
  __GFP_THISNODE,
  ARCH_NAMES,
  type ArchName,
  Errno,
  formatGfp,
  GFP_ATOMIC,
  GFP_KERNEL,
  GFP_NOFS,
  GFP_NOIO,
  GFP_NOWAIT,
  type Gfp,
  Kernel,
  KernelError,
  MAP_ANONYMOUS,
  MAP_LOCKED,
  MAP_NORESERVE,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  OOM_SCORE_ADJ_MAX,
  OOM_SCORE_ADJ_MIN,
  oomBadness,
  PROT_READ,
  PROT_WRITE,
  type Process,
} from '../src/index.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

// --- filling processes with known data ------------------------------------------

/** A mapping of a process, every page of it written with {@link word}. */
interface Region {
  readonly va: number;
  readonly pages: number;
  /** Tells this region's data apart from every other region's. */
  readonly tag: number;
}

/** A process and the regions it has filled. */
interface Task {
  readonly p: Process;
  readonly regions: Region[];
}

/** The 32-bit word at index `i` of page `page` of the region tagged `tag`. */
function word(tag: number, page: number, i: number): number {
  let h =
    Math.imul(tag ^ 0x9e3779b9, 0x85ebca6b) ^
    Math.imul(page + 1, 0xc2b2ae35) ^
    Math.imul(i + 7, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

/** Page `page` of the region tagged `tag`, as bytes. */
function pageImage(tag: number, page: number, pageSize: number): Uint8Array {
  const words = new Uint32Array(pageSize / 4);
  for (let i = 0; i < words.length; i++) words[i] = word(tag, page, i);
  return new Uint8Array(words.buffer);
}

let nextTag = 1;

/** Maps `pages` of anonymous memory into `p` and writes every byte of it. */
function fillRegion(task: Task, pages: number, flags = ANON): Region {
  const p = task.p;
  const pageSize = p.vm.arch.pageSize;
  const va = p.sys.mmap(0, pages * pageSize, RW, flags, -1, 0);
  expect(va, `mmap of ${pages} pages in ${p.name}`).toBeGreaterThan(0);
  const region = { va, pages, tag: nextTag++ };
  for (let i = 0; i < pages; i++) p.write(va + i * pageSize, pageImage(region.tag, i, pageSize));
  task.regions.push(region);
  return region;
}

/** A new process named `name` with `pages` of private anonymous memory, all written. */
function spawnFilled(k: Kernel, name: string, pages: number, adj = 0): Task {
  const p = k.spawn({ name });
  p.oomScoreAdj = adj;
  const task: Task = { p, regions: [] };
  if (pages > 0) fillRegion(task, pages);
  return task;
}

/** How many words of the task's regions differ from what was written (0: intact). */
function corruptWords(task: Task): number {
  const p = task.p;
  const pageSize = p.vm.arch.pageSize;
  let bad = 0;
  for (const r of task.regions) {
    const bytes = p.read(r.va, r.pages * pageSize);
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    const perPage = pageSize / 4;
    for (let i = 0; i < words.length; i++) {
      if (words[i] !== word(r.tag, Math.floor(i / perPage), i % perPage)) bad++;
    }
  }
  return bad;
}

function expectIntact(...tasks: Task[]): void {
  for (const t of tasks) {
    expect(t.p.state, `${t.p.name} (pid ${t.p.pid})`).toBe('running');
    expect(corruptWords(t), `corrupt words in ${t.p.name} (pid ${t.p.pid})`).toBe(0);
  }
}

// --- what the OOM killer should see and say -------------------------------------

/** A process's counters, as the OOM killer reads them. */
interface Footprint {
  readonly pid: number;
  readonly name: string;
  readonly adj: number;
  readonly rss: number;
  readonly anon: number;
  readonly file: number;
  readonly shmem: number;
  readonly swap: number;
  readonly pgtables: number;
  readonly totalVm: number;
}

function footprint(p: Process): Footprint {
  const c = p.mm.counters;
  if (p.mm.rss !== c.anon + c.file + c.shmem)
    expect.fail(`rss ${p.mm.rss} of pid ${p.pid} is not anon + file + shmem`);
  return {
    pid: p.pid,
    name: p.name,
    adj: p.oomScoreAdj,
    rss: c.anon + c.file + c.shmem,
    anon: c.anon,
    file: c.file,
    shmem: c.shmem,
    swap: c.swap,
    pgtables: c.pgtables,
    totalVm: p.mm.totalVm,
  };
}

function footprints(k: Kernel): Footprint[] {
  return [...k.processes.values()].map(footprint);
}

/** `oc->totalpages`: RAM (MemTotal) plus swap (SwapTotal), in pages. */
function totalPages(k: Kernel): number {
  const meminfo = k.proc('/proc/meminfo');
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(meminfo);
    if (m === null) throw new Error(`no ${field} in /proc/meminfo`);
    return Number(m[1]);
  };
  return (kb('MemTotal') + kb('SwapTotal')) / (k.PAGE_SIZE / 1024);
}

/** `oom_badness`, written from mm/oom_kill.c; null for an exempt process. */
function badness(f: Footprint, total: number): number | null {
  if (f.adj === OOM_SCORE_ADJ_MIN) return null;
  return f.rss + f.swap + f.pgtables + f.adj * Math.floor(total / 1000);
}

/** `select_bad_process`: the largest badness, ties to the later pid; null when none is killable. */
function expectedVictim(fps: readonly Footprint[], total: number): Footprint | null {
  let best: Footprint | null = null;
  let bestPoints = Number.NEGATIVE_INFINITY;
  for (const f of [...fps].sort((a, b) => a.pid - b.pid)) {
    const points = badness(f, total);
    if (points === null || points < bestPoints) continue;
    best = f;
    bestPoints = points;
  }
  return best;
}

function vmstat(k: Kernel, name: string): number {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(k.proc('/proc/vmstat'));
  if (m === null) throw new Error(`no ${name} in /proc/vmstat`);
  return Number(m[1]);
}

/** dmesg without the timestamps, one entry a line. */
function logLines(k: Kernel): string[] {
  const lines = k.dmesg().split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ''));
}

function pad(value: number | string, width: number): string {
  return String(value).padStart(width);
}

/** `dump_task`: `[%7d] %5d %5d %8lu %8lu %8lu %8lu %9lu %8ld %8lu         %5hd %s`. */
function taskRow(f: Footprint, pageSize: number): string {
  return (
    `[${pad(f.pid, 7)}] ${pad(0, 5)} ${pad(f.pid, 5)} ${pad(f.totalVm, 8)} ${pad(f.rss, 8)} ` +
    `${pad(f.anon, 8)} ${pad(f.file, 8)} ${pad(f.shmem, 9)} ${pad(f.pgtables * pageSize, 8)} ` +
    `${pad(f.swap, 8)}         ${pad(f.adj, 5)} ${f.name}`
  );
}

/** `__oom_kill_process`'s line. */
function killedLine(f: Footprint, pageSize: number): string {
  const kb = pageSize / 1024;
  return (
    `Out of memory: Killed process ${f.pid} (${f.name}) total-vm:${f.totalVm * kb}kB, ` +
    `anon-rss:${f.anon * kb}kB, file-rss:${f.file * kb}kB, shmem-rss:${f.shmem * kb}kB, ` +
    `UID:0 pgtables:${f.pgtables * kb}kB oom_score_adj:${f.adj}`
  );
}

/** `dump_oom_victim`'s line. */
function constraintLine(f: Footprint): string {
  return `oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=${f.name},pid=${f.pid},uid=0`;
}

/** `oom_reap_task_mm`'s line. */
function reapedLine(f: Footprint): string {
  return `oom_reaper: reaped process ${f.pid} (${f.name}), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB`;
}

const INVOKED = / invoked oom-killer: /;

// --- running memory out ------------------------------------------------------------

/** Free frames, per-CPU lists drained into the buddy lists first. */
function freeFrames(k: Kernel): number {
  k.drainAllPages();
  return k.buddy.nrFreePages();
}

/** What {@link allocUntilKill} did. */
interface Exhaustion {
  /** The blocks it got, the one of the allocation that killed included. */
  readonly pfns: number[];
  /** Whether its last allocation killed some process. */
  readonly killed: boolean;
  /** Whether its last allocation failed (returned null). */
  readonly failed: boolean;
}

/**
 * Allocates with `gfp` until an allocation kills a process or fails.
 * Throws if neither happens.
 */
function allocUntilKill(k: Kernel, gfp: Gfp = GFP_KERNEL, order = 0): Exhaustion {
  const live = k.processes.size;
  const pfns: number[] = [];
  const limit = (k.memory.size / k.PAGE_SIZE) * 2;
  for (let i = 0; i < limit; i++) {
    const pfn = k.allocPages(gfp, order);
    if (pfn !== null) pfns.push(pfn);
    const killed = k.processes.size < live;
    if (killed || pfn === null) return { pfns, killed, failed: pfn === null };
  }
  throw new Error('allocUntilKill: memory never ran out');
}

/** The pids the log says were killed, in order, from log line `from` on. */
function killedPids(k: Kernel, from = 0): number[] {
  const pids: number[] = [];
  for (const l of logLines(k).slice(from)) {
    const m = /^Out of memory: Killed process (\d+) /.exec(l);
    if (m !== null) pids.push(Number(m[1]));
  }
  return pids;
}

function freeAll(k: Kernel, pfns: readonly number[], order = 0): void {
  for (const pfn of pfns) k.freePages(pfn, order);
}

/** Every later use of a killed process throws, saying so. */
function expectDead(k: Kernel, p: Process, va: number): void {
  expect(p.state).toBe('killed');
  expect(k.processes.has(p.pid)).toBe(false);
  const killed = /has been killed/;
  expect(() => p.store32(va, 1)).toThrow(killed);
  expect(() => p.load32(va)).toThrow(killed);
  expect(() => p.sys.mmap(0, k.PAGE_SIZE, RW, ANON, -1, 0)).toThrow(killed);
  expect(() => p.fork()).toThrow(killed);
  expect(() => p.exit()).toThrow(killed);
  expect(() => p.store32(va, 1)).toThrow(KernelError);
  expect(() => k.proc(`/proc/${p.pid}/status`)).toThrow(KernelError);
  expect(p.state).toBe('killed');
}

/** Exits every process, drains the per-CPU lists and checks that buddyinfo is the boot one. */
function expectNothingLeaked(k: Kernel, bootBuddyinfo: string): void {
  for (const p of [...k.processes.values()]) p.exit();
  k.drainAllPages();
  expect(k.proc('/proc/buddyinfo')).toBe(bootBuddyinfo);
  k.checkInvariants();
}

// --- the tests ---------------------------------------------------------------------

describe('choosing and killing the victim', () => {
  describe.each(ARCH_NAMES)('%s', (arch: ArchName) => {
    it('kills the process with the largest badness when a kernel allocation runs memory out', () => {
      const k = Kernel.boot({ arch, memory: '16M' });
      const boot = k.proc('/proc/buddyinfo');
      const total = totalPages(k);
      const a = spawnFilled(k, 'small', Math.floor(total * 0.1));
      const b = spawnFilled(k, 'big', Math.floor(total * 0.3));
      const c = spawnFilled(k, 'medium', Math.floor(total * 0.2));
      const before = footprints(k);
      const want = expectedVictim(before, total);
      expect(want?.pid).toBe(b.p.pid);
      expect(oomBadness(b.p, total)).toBe(badness(footprint(b.p), total));
      const victimRss = b.p.mm.rss;
      const victimTables = b.p.mm.counters.pgtables;
      expect(victimRss).toBeGreaterThanOrEqual(Math.floor(total * 0.3));
      const freeBefore = freeFrames(k);

      const { pfns, killed, failed } = allocUntilKill(k);
      expect(killed).toBe(true);
      expect(failed).toBe(false);
      expect(vmstat(k, 'oom_kill')).toBe(1);
      // Freed = now free - then free + what the loop took.
      const freed = freeFrames(k) - freeBefore + pfns.length;
      expect(freed).toBeGreaterThanOrEqual(victimRss + victimTables);
      expectDead(k, b.p, (b.regions[0] as Region).va);
      expect([...k.processes.keys()]).toEqual([a.p.pid, c.p.pid]);
      expectIntact(a, c);

      const lines = logLines(k);
      expect(lines).toContain(killedLine(want as Footprint, k.PAGE_SIZE));
      expect(lines).toContain(constraintLine(want as Footprint));
      expect(lines).toContain(reapedLine(want as Footprint));
      k.checkInvariants();

      // The machine keeps working: the loop's last allocation succeeded, and so do new ones.
      const more = k.allocPages(GFP_KERNEL, 0);
      expect(more).not.toBeNull();
      pfns.push(more as number);
      const d = spawnFilled(k, 'late', Math.floor(total * 0.05));
      expectIntact(a, c, d);
      freeAll(k, pfns);
      k.checkInvariants();
      expectNothingLeaked(k, boot);
    });
  });

  it('gives a process that runs memory out its page once the largest other process is killed', () => {
    const k = Kernel.boot({ memory: '16M' });
    const total = totalPages(k);
    const big = spawnFilled(k, 'big', 1500);
    const mid = spawnFilled(k, 'mid', 800);
    const grower = spawnFilled(k, 'grower', 0, OOM_SCORE_ADJ_MIN);
    const page = k.PAGE_SIZE;
    const pages = 2000;
    const va = grower.p.sys.mmap(0, pages * page, RW, ANON, -1, 0);
    expect(va).toBeGreaterThan(0);
    let before: Footprint[] = [];
    let touched = 0;
    while (k.processes.has(big.p.pid)) {
      if (touched === pages) expect.fail('memory never ran out');
      before = footprints(k);
      grower.p.store32(va + touched * page, 0xc0de0000 + touched); // never throws: the kill makes room
      touched++;
    }
    expect(expectedVictim(before, total)?.pid).toBe(big.p.pid);
    expect(vmstat(k, 'oom_kill')).toBe(1);
    expectIntact(mid);
    let wrong = 0;
    for (let i = 0; i < touched; i++)
      if (grower.p.load32(va + i * page) !== 0xc0de0000 + i) wrong++;
    expect(wrong).toBe(0);
    // It goes on growing into what the kill freed.
    grower.p.store32(va + touched * page, 7);
    expect(grower.p.load32(va + touched * page)).toBe(7);

    const lines = logLines(k);
    const invoked = lines.filter((l) => INVOKED.test(l));
    expect(invoked).toHaveLength(1);
    const m =
      /^grower invoked oom-killer: gfp_mask=0x([0-9a-f]+)\(([^)]*)\), order=0, oom_score_adj=-1000$/.exec(
        invoked[0] as string,
      );
    expect(m, invoked[0]).not.toBeNull();
    const mask = Number.parseInt((m as RegExpExecArray)[1] as string, 16);
    expect((m as RegExpExecArray)[2]).toBe(formatGfp(mask));
    const victim = before.find((f) => f.pid === big.p.pid) as Footprint;
    expect(lines).toContain(killedLine(victim, page));
    k.checkInvariants();
  });

  it('breaks a tie in favour of the later pid', () => {
    const k = Kernel.boot({ memory: '16M' });
    const total = totalPages(k);
    const first = spawnFilled(k, 'first', 900);
    const second = spawnFilled(k, 'second', 900);
    const small = spawnFilled(k, 'small', 300);
    const [f1, f2] = [footprint(first.p), footprint(second.p)];
    expect(badness(f1, total)).toBe(badness(f2, total));
    const { pfns, killed, failed } = allocUntilKill(k);
    expect(killed).toBe(true);
    expect(failed).toBe(false);
    expect(second.p.state).toBe('killed');
    expectIntact(first, small);
    freeAll(k, pfns);
    k.checkInvariants();
  });

  it('counts page-table pages in the badness', () => {
    const k = Kernel.boot({ memory: '16M' });
    const total = totalPages(k);
    const page = k.PAGE_SIZE;
    // One page in each of 63 separate 2 MiB ranges (x86-64): a PTE table for each.
    const sparse = k.spawn({ name: 'sparse' });
    const stride = 2 ** 21;
    const len = 64 * stride;
    const va = sparse.sys.mmap(0, len, RW, ANON | MAP_NORESERVE, -1, 0);
    expect(va).toBeGreaterThan(0);
    const base = Math.ceil(va / stride) * stride;
    for (let i = 0; i < 63; i++) sparse.store32(base + i * stride, i + 1);
    const sparseTask: Task = { p: sparse, regions: [] };
    fillRegion(sparseTask, 400);
    // The same resident size, densely (and a later pid, which would win a tie).
    const dense = spawnFilled(k, 'dense', sparse.mm.rss);
    const fs = footprint(sparse);
    const fd = footprint(dense.p);
    expect(fs.rss).toBe(fd.rss);
    expect(fs.pgtables).toBeGreaterThan(fd.pgtables + 50);
    expect(expectedVictim([fs, fd], total)?.pid).toBe(sparse.pid);
    const { pfns, killed, failed } = allocUntilKill(k);
    expect(killed).toBe(true);
    expect(failed).toBe(false);
    expect(sparse.state).toBe('killed');
    expect(logLines(k)).toContain(killedLine(fs, page));
    expectIntact(dense);
    freeAll(k, pfns);
    k.checkInvariants();
  });

  it('tears down a victim that shares copy-on-write pages, leaving the sharer its data', () => {
    const k = Kernel.boot({ memory: '16M' });
    const boot = k.proc('/proc/buddyinfo');
    const page = k.PAGE_SIZE;
    const parent = spawnFilled(k, 'parent', 1200);
    const region = parent.regions[0] as Region;
    const child = parent.p.fork();
    // The child rewrites its first 300 pages (copies); the other 900 stay shared.
    for (let i = 0; i < 300; i++) child.write(region.va + i * page, pageImage(99, i, page));
    child.oomScoreAdj = 500;
    const other = spawnFilled(k, 'other', 200);
    const total = totalPages(k);
    const before = footprints(k);
    expect(expectedVictim(before, total)?.pid).toBe(child.pid);
    const childTables = child.mm.counters.pgtables;
    const freeBefore = freeFrames(k);
    const { pfns, killed, failed } = allocUntilKill(k);
    expect(killed).toBe(true);
    expect(failed).toBe(false);
    expectDead(k, child, region.va);
    const freed = freeFrames(k) - freeBefore + pfns.length;
    // Its own copies and tables are freed; the shared frames stay with the parent.
    expect(freed).toBeGreaterThanOrEqual(300 + childTables);
    expect(freed).toBeLessThan(1200);
    expectIntact(parent, other);
    // The parent's writes to formerly shared pages now reuse them in place.
    parent.p.store32(region.va + 1000 * page, 5);
    expect(parent.p.load32(region.va + 1000 * page)).toBe(5);
    k.checkInvariants();
    freeAll(k, pfns);
    expectNothingLeaked(k, boot);
  });

  it('tears down a victim with shared (shmem) and mlocked memory completely', () => {
    const k = Kernel.boot({ memory: '16M' });
    const boot = k.proc('/proc/buddyinfo');
    const victim: Task = { p: k.spawn({ name: 'victim' }), regions: [] };
    fillRegion(victim, 1000);
    fillRegion(victim, 300, MAP_SHARED | MAP_ANONYMOUS);
    fillRegion(victim, 100, ANON | MAP_LOCKED);
    const bystander = spawnFilled(k, 'bystander', 400);
    const f = footprint(victim.p);
    expect(f.shmem).toBe(300);
    expect(f.anon).toBe(1100);
    expect(k.proc('/proc/meminfo')).toMatch(/^Mlocked:\s+400 kB$/m);
    const { pfns, killed, failed } = allocUntilKill(k);
    expect(killed).toBe(true);
    expect(failed).toBe(false);
    expectDead(k, victim.p, (victim.regions[0] as Region).va);
    expect(logLines(k)).toContain(killedLine(f, k.PAGE_SIZE));
    const meminfo = k.proc('/proc/meminfo');
    expect(meminfo).toMatch(/^Mlocked:\s+0 kB$/m);
    expect(meminfo).toMatch(/^Unevictable:\s+0 kB$/m);
    expect(meminfo).toMatch(/^Shmem:\s+0 kB$/m);
    expectIntact(bystander);
    k.checkInvariants();
    freeAll(k, pfns);
    expectNothingLeaked(k, boot);
  });
});

describe('the kernel log and oom_kill', () => {
  it('logs the kill as dump_header, dump_tasks, dump_oom_victim, __oom_kill_process and the reaper do', () => {
    const k = Kernel.boot({ memory: '16M' });
    const page = k.PAGE_SIZE;
    const a = spawnFilled(k, 'alpha', 200, -500);
    const b: Task = { p: k.spawn({ name: 'bravo' }), regions: [] };
    fillRegion(b, 1200);
    fillRegion(b, 150, MAP_SHARED | MAP_ANONYMOUS);
    const c = spawnFilled(k, 'charlie', 300, OOM_SCORE_ADJ_MIN);
    const before = footprints(k);
    const total = totalPages(k);
    const victim = expectedVictim(before, total) as Footprint;
    expect(victim.pid).toBe(b.p.pid);
    expect(victim.shmem).toBe(150);
    const logged = logLines(k).length;
    const { pfns, killed, failed } = allocUntilKill(k);
    expect(killed).toBe(true);
    expect(failed).toBe(false);

    const lines = logLines(k).slice(logged);
    const start = lines.findIndex((l) => INVOKED.test(l));
    expect(start).toBeGreaterThanOrEqual(0);
    expect(lines.slice(start, start + 9)).toEqual([
      `${k.buddy.comm()} invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0`,
      'Tasks state (memory values in pages):',
      '[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name',
      taskRow(before[0] as Footprint, page),
      taskRow(before[1] as Footprint, page),
      taskRow(before[2] as Footprint, page),
      constraintLine(victim),
      killedLine(victim, page),
      reapedLine(victim),
    ]);
    // Spelled out once, for this machine's 4 KiB pages.
    expect(killedLine(victim, page)).toBe(
      `Out of memory: Killed process 2 (bravo) total-vm:${victim.totalVm * 4}kB, anon-rss:4800kB, file-rss:0kB, shmem-rss:600kB, UID:0 pgtables:${victim.pgtables * 4}kB oom_score_adj:0`,
    );
    expect(lines.filter((l) => INVOKED.test(l))).toHaveLength(1);
    expect(vmstat(k, 'oom_kill')).toBe(1);
    expectIntact(a, c);
    freeAll(k, pfns);
    k.checkInvariants();
  });

  it('counts each kill once in oom_kill, the victim busy in its own fault included', () => {
    const k = Kernel.boot({ memory: '16M' });
    expect(vmstat(k, 'oom_kill')).toBe(0);
    const tasks = [
      spawnFilled(k, 'one', 400),
      spawnFilled(k, 'two', 700),
      spawnFilled(k, 'three', 550),
    ];
    const held: number[] = [];
    const killedOrder: number[] = [];
    for (let n = 1; n <= 2; n++) {
      const live = new Set(k.processes.keys());
      const { pfns, killed } = allocUntilKill(k);
      held.push(...pfns);
      expect(killed).toBe(true);
      expect(vmstat(k, 'oom_kill')).toBe(n);
      killedOrder.push(...[...live].filter((pid) => !k.processes.has(pid)));
    }
    expect(killedOrder).toEqual([tasks[1]?.p.pid, tasks[2]?.p.pid]);
    // The last one kills itself growing: chosen while busy, torn down on the way out, counted once.
    freeAll(k, held);
    const last = tasks[0] as Task;
    const page = k.PAGE_SIZE;
    const va = last.p.sys.mmap(0, 4000 * page, RW, ANON | MAP_NORESERVE, -1, 0);
    expect(va).toBeGreaterThan(0);
    expect(() => {
      for (let i = 0; i < 4000; i++) last.p.store32(va + i * page, i);
    }).toThrow(/killed by the OOM killer/);
    expect(last.p.state).toBe('killed');
    expect(vmstat(k, 'oom_kill')).toBe(3);
    const lines = logLines(k);
    expect(lines.filter((l) => l.startsWith('Out of memory: Killed process '))).toHaveLength(3);
    expect(lines.filter((l) => l.startsWith('oom_reaper: reaped process '))).toHaveLength(3);
    for (const t of tasks) {
      expect(lines.filter((l) => l.includes(`Killed process ${t.p.pid} (`))).toHaveLength(1);
    }
    // Nothing is left to kill: a later failure does not count.
    const { pfns } = allocUntilKill(k);
    expect(vmstat(k, 'oom_kill')).toBe(3);
    freeAll(k, pfns);
    k.checkInvariants();
  });
});

describe('oom_score_adj', () => {
  it('exempts a process at -1000 even when it is the largest', () => {
    const k = Kernel.boot({ memory: '16M' });
    const boot = k.proc('/proc/buddyinfo');
    const total = totalPages(k);
    const exempt = spawnFilled(k, 'exempt', 1800, OOM_SCORE_ADJ_MIN);
    const a = spawnFilled(k, 'a', 600);
    const b = spawnFilled(k, 'b', 300);
    expect(expectedVictim(footprints(k), total)?.pid).toBe(a.p.pid);
    expect(oomBadness(exempt.p, total)).toBeNull();
    const held: number[] = [];
    const first = allocUntilKill(k);
    held.push(...first.pfns);
    expect(first.killed).toBe(true);
    expect(first.failed).toBe(false);
    expect(a.p.state).toBe('killed');
    expectIntact(exempt, b);
    const second = allocUntilKill(k);
    held.push(...second.pfns);
    expect(second.killed).toBe(true);
    expect(second.failed).toBe(false);
    expect(b.p.state).toBe('killed');
    // Only the exempt process is left: the allocation fails, and nobody dies.
    const third = allocUntilKill(k);
    held.push(...third.pfns);
    expect(third.killed).toBe(false);
    expect(logLines(k)).toContain('Out of memory and no killable processes...');
    expect(vmstat(k, 'oom_kill')).toBe(2);
    expectIntact(exempt);
    freeAll(k, held);
    k.checkInvariants();
    expectNothingLeaked(k, boot);
  });

  it('makes a small process at +1000 the victim', () => {
    const k = Kernel.boot({ memory: '16M' });
    const total = totalPages(k);
    const big = spawnFilled(k, 'big', 2000);
    const small = spawnFilled(k, 'small', 400, OOM_SCORE_ADJ_MAX);
    const mid = spawnFilled(k, 'mid', 500);
    const before = footprints(k);
    expect(expectedVictim(before, total)?.pid).toBe(small.p.pid);
    const { pfns, killed, failed } = allocUntilKill(k);
    expect(killed).toBe(true);
    expect(failed).toBe(false);
    expectDead(k, small.p, (small.regions[0] as Region).va);
    const f = before.find((x) => x.pid === small.p.pid) as Footprint;
    expect(logLines(k)).toContain(killedLine(f, k.PAGE_SIZE));
    expect(killedLine(f, k.PAGE_SIZE)).toMatch(/ oom_score_adj:1000$/);
    expectIntact(big, mid);
    freeAll(k, pfns);
    k.checkInvariants();
  });

  it('kills no more than it must: a tiny victim at +1000 frees enough for one page', () => {
    const k = Kernel.boot({ memory: '16M' });
    const total = totalPages(k);
    const big = spawnFilled(k, 'big', 2000);
    const tiny = spawnFilled(k, 'tiny', 10, OOM_SCORE_ADJ_MAX);
    const mid = spawnFilled(k, 'mid', 500);
    expect(expectedVictim(footprints(k), total)?.pid).toBe(tiny.p.pid);
    const logged = logLines(k).length;
    const { pfns, failed } = allocUntilKill(k);
    // tiny's 10 pages and its page tables are far more than the one page asked for.
    expect(killedPids(k, logged)).toEqual([tiny.p.pid]);
    expect(failed).toBe(false);
    expect(tiny.p.state).toBe('killed');
    expectIntact(big, mid);
    expect(vmstat(k, 'oom_kill')).toBe(1);
    freeAll(k, pfns);
    k.checkInvariants();
  });

  it('is inherited across fork', () => {
    const k = Kernel.boot({ memory: '16M' });
    const page = k.PAGE_SIZE;
    const parent = spawnFilled(k, 'parent', 800, OOM_SCORE_ADJ_MIN);
    const region = parent.regions[0] as Region;
    const child = parent.p.fork();
    expect(child.oomScoreAdj).toBe(OOM_SCORE_ADJ_MIN);
    // The child makes every page its own: the largest process, but exempt like its parent.
    for (let i = 0; i < 800; i++) child.write(region.va + i * page, pageImage(77, i, page));
    const victim = spawnFilled(k, 'victim', 400);
    const { pfns, killed, failed } = allocUntilKill(k);
    expect(killed).toBe(true);
    expect(failed).toBe(false);
    expect(victim.p.state).toBe('killed');
    expect(child.state).toBe('running');
    expectIntact(parent);
    expect(corruptWords({ p: child, regions: [{ va: region.va, pages: 800, tag: 77 }] })).toBe(0);
    freeAll(k, pfns);

    const loud = spawnFilled(k, 'loud', 1, 500);
    expect(loud.p.fork().oomScoreAdj).toBe(500);
    k.checkInvariants();
  });
});

describe('the allocating process is the victim', () => {
  it('fails its fault with ENOMEM saying it was killed, then tears it down', () => {
    const k = Kernel.boot({ memory: '16M' });
    const boot = k.proc('/proc/buddyinfo');
    const page = k.PAGE_SIZE;
    const a = spawnFilled(k, 'a', 500);
    const b = spawnFilled(k, 'b', 700);
    const hog = k.spawn({ name: 'hog' });
    const pages = 3500;
    const va = hog.sys.mmap(0, pages * page, RW, ANON, -1, 0);
    expect(va).toBeGreaterThan(0);
    let error: unknown = null;
    let touched = 0;
    let before: Footprint | null = null;
    for (; touched < pages; touched++) {
      before = footprint(hog);
      try {
        hog.store32(va + touched * page, touched);
      } catch (e) {
        error = e;
        break;
      }
    }
    expect(error).toBeInstanceOf(KernelError);
    const e = error as KernelError;
    expect(e.errno).toBe(Errno.ENOMEM);
    expect(e.code).toBe('ENOMEM');
    expect(e.message).toMatch(/killed by the OOM killer/);
    expect(e.message).toContain(`process ${hog.pid} (hog)`);
    expect(touched).toBeGreaterThan(1500);
    expectDead(k, hog, va);
    expect(vmstat(k, 'oom_kill')).toBe(1);
    expectIntact(a, b);

    const lines = logLines(k);
    const invoked = lines.filter((l) => INVOKED.test(l));
    expect(invoked).toHaveLength(1);
    expect(invoked[0]).toMatch(
      /^hog invoked oom-killer: gfp_mask=0x[0-9a-f]+\([A-Z_|]+\), order=0, oom_score_adj=0$/,
    );
    // The counters when the fault began; the fault failed, so they are the victim's last ones.
    const victim = before as Footprint;
    expect(lines).toContain(constraintLine(victim));
    expect(lines).toContain(killedLine(victim, page));
    expect(lines).toContain(reapedLine(victim));
    // Its memory is back: another process can have it.
    const c = spawnFilled(k, 'c', 2000);
    expectIntact(a, b, c);
    k.checkInvariants();
    expectNothingLeaked(k, boot);
  });

  it('lets a system call chosen for its own victim return, then tears the process down', () => {
    const k = Kernel.boot({ memory: '16M' });
    const boot = k.proc('/proc/buddyinfo');
    const page = k.PAGE_SIZE;
    const a = spawnFilled(k, 'a', 500);
    const hog = k.spawn({ name: 'hog' });
    // mm_populate's failure does not fail mmap(2); the process dies on its way out of the kernel.
    const va = hog.sys.mmap(0, 3500 * page, RW, ANON | MAP_POPULATE, -1, 0);
    expect(va).toBeGreaterThan(0);
    expectDead(k, hog, va);
    expect(vmstat(k, 'oom_kill')).toBe(1);
    expect(logLines(k).filter((l) => INVOKED.test(l))[0]).toMatch(/^hog invoked oom-killer: /);
    expect(killedPids(k)).toEqual([hog.pid]);
    expectIntact(a);
    expectNothingLeaked(k, boot);
  });

  it('fails a fork that needs memory the forking process is killed for, leaking nothing', () => {
    const k = Kernel.boot({ memory: '16M' });
    const boot = k.proc('/proc/buddyinfo');
    const parent = spawnFilled(k, 'parent', 2400);
    const other = spawnFilled(k, 'other', 300);
    // Memory down to the min watermark without a kill (GFP_NOWAIT never kills).
    const { pfns, killed } = allocUntilKill(k, GFP_NOWAIT);
    expect(killed).toBe(false);
    expect(vmstat(k, 'oom_kill')).toBe(0);
    const live = k.processes.size;
    let error: unknown = null;
    try {
      parent.p.fork();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KernelError);
    expect((error as KernelError).code).toBe('ENOMEM');
    expect(parent.p.state).toBe('killed');
    expect(k.processes.size).toBe(live - 1);
    expect(vmstat(k, 'oom_kill')).toBe(1);
    expectIntact(other);
    k.checkInvariants();
    freeAll(k, pfns);
    expectNothingLeaked(k, boot);
  });
});

describe('nothing killable', () => {
  it('fails a GFP_KERNEL allocation with no processes, saying so', () => {
    const k = Kernel.boot({ memory: '4M' });
    const boot = k.proc('/proc/buddyinfo');
    const { pfns, killed } = allocUntilKill(k);
    expect(killed).toBe(false);
    expect(pfns.length).toBeGreaterThan(800);
    const lines = logLines(k);
    expect(lines).toContain('Out of memory and no killable processes...');
    const at = lines.indexOf('Out of memory and no killable processes...');
    expect(lines.slice(at - 3, at)).toEqual([
      `${k.buddy.comm()} invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0`,
      'Tasks state (memory values in pages):',
      '[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name',
    ]);
    expect(vmstat(k, 'oom_kill')).toBe(0);
    expect(lines.some((l) => l.startsWith('Out of memory: Killed'))).toBe(false);
    freeAll(k, pfns);
    expectNothingLeaked(k, boot);
  });

  it('fails a GFP_KERNEL allocation when every process is at -1000, and they all survive', () => {
    const k = Kernel.boot({ memory: '8M' });
    const boot = k.proc('/proc/buddyinfo');
    const tasks = [
      spawnFilled(k, 'x', 500, OOM_SCORE_ADJ_MIN),
      spawnFilled(k, 'y', 700, OOM_SCORE_ADJ_MIN),
    ];
    const { pfns, killed } = allocUntilKill(k);
    expect(killed).toBe(false);
    expect(logLines(k)).toContain('Out of memory and no killable processes...');
    expect(vmstat(k, 'oom_kill')).toBe(0);
    expectIntact(...tasks);
    // A kmalloc fails the same way: null, no throw.
    expect(k.kmalloc(4 * k.PAGE_SIZE, GFP_KERNEL)).toBeNull();
    expectIntact(...tasks);
    k.checkInvariants();
    freeAll(k, pfns);
    expectNothingLeaked(k, boot);
  });
});

describe('requests the OOM killer does not serve', () => {
  const cases: readonly [string, Gfp, number][] = [
    ['GFP_NOFS', GFP_NOFS, 0],
    ['GFP_NOIO', GFP_NOIO, 0],
    ['GFP_KERNEL | __GFP_RETRY_MAYFAIL', GFP_KERNEL | __GFP_RETRY_MAYFAIL, 0],
    ['GFP_KERNEL | __GFP_NORETRY', GFP_KERNEL | __GFP_NORETRY, 0],
    ['GFP_KERNEL | __GFP_THISNODE', GFP_KERNEL | __GFP_THISNODE, 0],
    ['GFP_KERNEL at order 4 (costly)', GFP_KERNEL, 4],
    ['GFP_KERNEL at order 4 | __GFP_RETRY_MAYFAIL', GFP_KERNEL | __GFP_RETRY_MAYFAIL, 4],
    ['GFP_KERNEL | __GFP_DMA (lowmem only)', GFP_KERNEL | __GFP_DMA, 0],
    ['GFP_ATOMIC', GFP_ATOMIC, 0],
    ['GFP_NOWAIT', GFP_NOWAIT, 0],
  ];

  it.each(cases)('%s: fails without killing', (_name, gfp, order) => {
    const k = Kernel.boot({ memory: '8M' });
    const big = spawnFilled(k, 'big', 900);
    const small = spawnFilled(k, 'small', 200);
    const { pfns, killed } = allocUntilKill(k, gfp, order);
    expect(killed).toBe(false);
    expect(vmstat(k, 'oom_kill')).toBe(0);
    expect(logLines(k).some((l) => INVOKED.test(l))).toBe(false);
    expectIntact(big, small);
    k.checkInvariants();
    // Not for want of a victim: GFP_KERNEL at order 0 kills the big one.
    const control = allocUntilKill(k);
    expect(control.killed).toBe(true);
    expect(control.failed).toBe(false);
    expect(big.p.state).toBe('killed');
    expectIntact(small);
    freeAll(k, control.pfns);
    freeAll(k, pfns, order);
    k.checkInvariants();
  });

  it('__GFP_NOFAIL kills rather than fail', () => {
    const k = Kernel.boot({ memory: '8M' });
    const big = spawnFilled(k, 'big', 900);
    const small = spawnFilled(k, 'small', 200);
    const pfns: number[] = [];
    while (k.processes.has(big.p.pid)) {
      const pfn = k.allocPages(GFP_KERNEL | __GFP_NOFAIL, 0);
      if (pfn === null) expect.fail('__GFP_NOFAIL returned null');
      pfns.push(pfn);
      if (pfns.length > 4000) expect.fail('memory never ran out');
    }
    expect(big.p.state).toBe('killed');
    expect(vmstat(k, 'oom_kill')).toBe(1);
    expectIntact(small);
    freeAll(k, pfns);
    k.checkInvariants();
  });
});

describe.each(['slub', 'slab', 'slob'] as const)('kmalloc under %s', (slab) => {
  it('kills the largest process when kmalloc(512, GFP_KERNEL) runs memory out', () => {
    const k = Kernel.boot({ memory: '8M', slab });
    const total = totalPages(k);
    const big = spawnFilled(k, 'big', 500);
    const small = spawnFilled(k, 'small', 150);
    expect(expectedVictim(footprints(k), total)?.pid).toBe(big.p.pid);
    const objects: number[] = [];
    const limit = (k.memory.size / 512) * 2;
    while (k.processes.has(big.p.pid)) {
      const obj = k.kmalloc(512, GFP_KERNEL);
      if (obj === null)
        expect.fail(`kmalloc #${objects.length + 1} returned null with big killable`);
      objects.push(obj);
      if (objects.length > limit) expect.fail('kmalloc never ran memory out');
    }
    expect(big.p.state).toBe('killed');
    expect(vmstat(k, 'oom_kill')).toBe(1);
    expectIntact(small);
    for (const obj of objects) k.kfree(obj);
    k.checkInvariants();
  });
});

describe('property: the victim is the argmax of the badness', () => {
  /** Pages a victim must free for an order-0 allocation at the min watermark to succeed after it, with room to spare. */
  const ENOUGH = 16;
  const processArb = fc.record({
    pages: fc.oneof(fc.constantFrom(0, 1, 12, 120, 300), fc.integer({ min: 0, max: 300 })),
    adj: fc.constantFrom(OOM_SCORE_ADJ_MIN, 0, 500),
  });
  const specsArb = fc.array(processArb, { minLength: 2, maxLength: 5 });

  /** What one run saw: the processes' counters before, the kills in order, and each victim's footprint. */
  interface Run {
    readonly victims: Footprint[];
    readonly failed: boolean;
  }

  /**
   * Boots a machine with processes as `specs` says, filled with known
   * data, allocates until an allocation kills or fails, and checks what
   * holds however many processes that allocation killed: each kill took
   * the argmax of the badness of those left (ties to the later pid),
   * `oom_kill` and the log agree, survivors keep every byte, invariants
   * hold, and once everything is freed buddyinfo is the boot one.
   */
  function run(specs: readonly { pages: number; adj: number }[]): Run {
    const k = Kernel.boot({ memory: '8M' });
    const boot = k.proc('/proc/buddyinfo');
    const total = totalPages(k);
    const tasks = specs.map((s, i) => spawnFilled(k, `p${i}`, s.pages, s.adj));
    expect(vmstat(k, 'oom_kill')).toBe(0);
    const before = footprints(k);
    const want = expectedVictim(before, total);
    for (const t of tasks) expect(oomBadness(t.p, total)).toBe(badness(footprint(t.p), total));

    const logged = logLines(k).length;
    const { pfns, killed, failed } = allocUntilKill(k);
    const kills = killedPids(k, logged);
    const lines = logLines(k).slice(logged);
    const left = [...before];
    const victims: Footprint[] = [];
    for (const [i, pid] of kills.entries()) {
      const v = expectedVictim(left, total);
      expect(pid, `kill #${i + 1}`).toBe(v?.pid);
      const f = v as Footprint;
      expect(lines).toContain(killedLine(f, k.PAGE_SIZE));
      left.splice(left.indexOf(f), 1);
      victims.push(f);
    }
    expect(kills.length > 0).toBe(want !== null);
    expect(killed).toBe(want !== null);
    if (failed) {
      expect(expectedVictim(left, total)).toBeNull();
      expect(lines).toContain('Out of memory and no killable processes...');
    }
    expect(vmstat(k, 'oom_kill')).toBe(kills.length);
    const dead = tasks.filter((t) => t.p.state !== 'running').map((t) => t.p.pid);
    expect(dead.sort((a, b) => a - b)).toEqual([...kills].sort((a, b) => a - b));
    for (const pid of kills) expect(k.processes.has(pid)).toBe(false);
    expectIntact(...tasks.filter((t) => !kills.includes(t.p.pid)));
    k.checkInvariants();
    freeAll(k, pfns);
    expectNothingLeaked(k, boot);
    return { victims, failed };
  }

  it('kills the argmax (ties to the later pid), keeps every survivor byte, and leaks nothing', () => {
    fc.assert(
      fc.property(specsArb, (specs) => {
        run(specs);
      }),
      {
        numRuns: 30,
        examples: [
          // A tie of two equal processes, and nobody killable.
          [
            [
              { pages: 120, adj: 0 },
              { pages: 120, adj: 0 },
            ],
          ],
          [
            [
              { pages: 300, adj: OOM_SCORE_ADJ_MIN },
              { pages: 0, adj: OOM_SCORE_ADJ_MIN },
            ],
          ],
        ],
      },
    );
  });

  it('kills once when the victim frees plenty, and the allocation then succeeds', () => {
    fc.assert(
      fc.property(specsArb, (specs) => {
        const { victims, failed } = run(specs);
        // Only a victim that freed next to nothing may be followed by another kill or a failure.
        for (const [i, f] of victims.entries()) {
          if (i < victims.length - 1 || failed) {
            expect(
              f.rss + f.pgtables,
              `pid ${f.pid} freed ${f.rss + f.pgtables} pages, yet the allocation went on to ${i < victims.length - 1 ? 'kill again' : 'fail'}`,
            ).toBeLessThan(ENOUGH);
          }
        }
      }),
      {
        numRuns: 20,
        // A replay of a failure: the victim's 16 freed frames sat on the per-CPU lists.
        examples: [
          [
            [
              { pages: 12, adj: 500 },
              { pages: 0, adj: OOM_SCORE_ADJ_MIN },
            ],
          ],
        ],
      },
    );
  });
});

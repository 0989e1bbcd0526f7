/**
 * The summary a demo or a replay ends with: faults, swap traffic, OOM
 * kills, slab usage, free memory and its fragmentation, and the processes.
 * Every figure is read from the /proc files a user would read (vmstat,
 * meminfo, slabinfo, buddyinfo, <pid>/status) and from dmesg, so the
 * summary shows what the interface shows.
 *
 * Fragmentation is the unusable free space index of
 * /sys/kernel/debug/extfrag/unusable_index (mm/vmstat.c
 * `unusable_free_index`) at order 3, `PAGE_ALLOC_COSTLY_ORDER`: the
 * fraction of free memory in blocks too small for an order-3 request.
 */
import type { Kernel } from '../kernel.js';
import type { Process } from '../vm/process.js';
import { plural } from './plural.js';
import { procValue } from './proc-excerpt.js';

/** The order the fragmentation figures are computed at (`PAGE_ALLOC_COSTLY_ORDER`). */
export const FRAGMENTATION_ORDER = 3;

/** Free memory and how broken up it is, from /proc/buddyinfo. */
export interface Fragmentation {
  /** Free pages on the buddy lists. */
  readonly freePages: number;
  /** Free pages in blocks below order 3. */
  readonly freeBelowOrder3Pages: number;
  /** `unusable_free_index` at order 3: 0 (all free memory usable) .. 1 (none), three decimals. */
  readonly unusableIndex: number;
  /** The largest order with a free block, or -1 when nothing is free. */
  readonly largestFreeOrder: number;
  /** The same per zone (zones with pages only). */
  readonly zones: readonly {
    readonly zone: string;
    readonly freePages: number;
    readonly unusableIndex: number;
  }[];
}

/** One process the run created. */
export interface ProcessSummary {
  readonly pid: number;
  readonly name: string;
  readonly state: 'running' | 'exited' | 'killed';
  /** VmRSS of /proc/<pid>/status in kB (0 once gone). */
  readonly rssKiB: number;
  /** VmSwap in kB (0 once gone). */
  readonly swapKiB: number;
}

/** What a run did to the machine. */
export interface Summary {
  /** `pgfault` of /proc/vmstat. */
  readonly pageFaults: number;
  /** `pgmajfault`. */
  readonly majorFaults: number;
  /** `pswpin`: pages read from swap. */
  readonly swapIn: number;
  /** `pswpout`: pages written to swap. */
  readonly swapOut: number;
  /** `oom_kill`. */
  readonly oomKills: number;
  /** The victims, from dmesg's `Out of memory: Killed process` lines. */
  readonly kills: readonly { readonly pid: number; readonly name: string }[];
  /** Slab memory (meminfo `Slab:`) and objects (slabinfo). */
  readonly slab: {
    readonly kB: number;
    /** Caches with at least one slab. */
    readonly caches: number;
    readonly activeObjects: number;
    readonly totalObjects: number;
    /** Bytes of active objects over bytes of all object slots (0..1, three decimals). */
    readonly utilization: number;
  };
  /** Key /proc/meminfo lines, in kB. */
  readonly memory: {
    readonly totalKiB: number;
    readonly freeKiB: number;
    readonly availableKiB: number;
    readonly swapTotalKiB: number;
    readonly swapFreeKiB: number;
  };
  readonly fragmentation: Fragmentation;
  readonly processes: readonly ProcessSummary[];
}

/** `free_area[order].nr_free` of each zone, parsed from /proc/buddyinfo. */
export function parseBuddyinfo(text: string): { zone: string; counts: number[] }[] {
  const zones: { zone: string; counts: number[] }[] = [];
  for (const line of text.split('\n')) {
    const m = /^Node \d+, zone\s+(\S+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    zones.push({ zone: m[1] as string, counts: (m[2] as string).trim().split(/\s+/).map(Number) });
  }
  return zones;
}

/** `unusable_free_index`: (free - free in blocks of `order` or more) / free, 0 when nothing is free. */
function unusableIndex(counts: readonly number[], order: number): number {
  let free = 0;
  let suitable = 0;
  counts.forEach((n, o) => {
    free += n * 2 ** o;
    if (o >= order) suitable += n * 2 ** o;
  });
  // Thousandths, as the kernel computes and prints it.
  return free === 0 ? 0 : Math.floor(((free - suitable) * 1000) / free) / 1000;
}

/** Free memory and its fragmentation from /proc/buddyinfo's text. */
export function fragmentationOf(buddyinfo: string): Fragmentation {
  const zones = parseBuddyinfo(buddyinfo);
  const all: number[] = [];
  for (const { counts } of zones) {
    counts.forEach((n, o) => {
      all[o] = (all[o] ?? 0) + n;
    });
  }
  let freePages = 0;
  let below = 0;
  let largest = -1;
  all.forEach((n, o) => {
    freePages += n * 2 ** o;
    if (o < FRAGMENTATION_ORDER) below += n * 2 ** o;
    if (n > 0) largest = o;
  });
  return {
    freePages,
    freeBelowOrder3Pages: below,
    unusableIndex: unusableIndex(all, FRAGMENTATION_ORDER),
    largestFreeOrder: largest,
    zones: zones.map(({ zone, counts }) => ({
      zone,
      freePages: counts.reduce((sum, n, o) => sum + n * 2 ** o, 0),
      unusableIndex: unusableIndex(counts, FRAGMENTATION_ORDER),
    })),
  };
}

function slabUsage(k: Kernel): Summary['slab'] {
  let caches = 0;
  let active = 0;
  let total = 0;
  let activeBytes = 0;
  let totalBytes = 0;
  for (const line of k.proc('/proc/slabinfo').split('\n').slice(2)) {
    const f = line.split(/\s+/);
    if (f.length < 6) continue;
    const [a, n, size] = [Number(f[1]), Number(f[2]), Number(f[3])];
    if (n === 0) continue;
    caches++;
    active += a;
    total += n;
    activeBytes += a * size;
    totalBytes += n * size;
  }
  return {
    kB: procValue(k, '/proc/meminfo', 'Slab'),
    caches,
    activeObjects: active,
    totalObjects: total,
    utilization: totalBytes === 0 ? 0 : Math.round((activeBytes / totalBytes) * 1000) / 1000,
  };
}

function processSummary(k: Kernel, p: Process): ProcessSummary {
  if (p.state !== 'running') {
    return { pid: p.pid, name: p.name, state: p.state, rssKiB: 0, swapKiB: 0 };
  }
  const status = `/proc/${p.pid}/status`;
  return {
    pid: p.pid,
    name: p.name,
    state: p.state,
    rssKiB: procValue(k, status, 'VmRSS'),
    swapKiB: procValue(k, status, 'VmSwap'),
  };
}

/** The summary of `k` now; `processes` are the ones the run created, in creation order. */
export function summarize(k: Kernel, processes: readonly Process[]): Summary {
  const vmstat = (key: string) => procValue(k, '/proc/vmstat', key);
  const meminfo = (key: string) => procValue(k, '/proc/meminfo', key);
  const kills = [...k.dmesg().matchAll(/Out of memory: Killed process (\d+) \(([^)]*)\)/g)].map(
    (m) => ({ pid: Number(m[1]), name: m[2] as string }),
  );
  return {
    pageFaults: vmstat('pgfault'),
    majorFaults: vmstat('pgmajfault'),
    swapIn: vmstat('pswpin'),
    swapOut: vmstat('pswpout'),
    oomKills: vmstat('oom_kill'),
    kills,
    slab: slabUsage(k),
    memory: {
      totalKiB: meminfo('MemTotal'),
      freeKiB: meminfo('MemFree'),
      availableKiB: meminfo('MemAvailable'),
      swapTotalKiB: meminfo('SwapTotal'),
      swapFreeKiB: meminfo('SwapFree'),
    },
    fragmentation: fragmentationOf(k.proc('/proc/buddyinfo')),
    processes: [...new Set(processes)].map((p) => processSummary(k, p)),
  };
}

/** `12345 kB` as `12.1 MiB`, small values as kB. */
export function formatKiB(kib: number): string {
  const unit = (n: number, digits: number, name: string) =>
    `${Number.isInteger(n) ? n : n.toFixed(digits)} ${name}`;
  if (kib >= 1024 * 1024 && kib % (1024 * 1024) === 0) return `${kib / 1024 / 1024} GiB`;
  if (kib >= 1024 && kib % 1024 === 0) return `${kib / 1024} MiB`;
  if (kib < 10 * 1024) return `${kib} kB`;
  if (kib < 10 * 1024 * 1024) return unit(kib / 1024, 1, 'MiB');
  return unit(kib / 1024 / 1024, 2, 'GiB');
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** The most processes the text summary lists. */
const MAX_PROCESS_ROWS = 20;

function processRow(p: ProcessSummary): string {
  return `${String(p.pid).padStart(5)}  ${p.name.padEnd(16)} ${p.state.padEnd(8)} ${formatKiB(p.rssKiB).padStart(10)} ${formatKiB(p.swapKiB).padStart(10)}`;
}

/** The summary as a two-column table, then the processes that are running or were killed. */
export function renderSummary(s: Summary, pageSize: number): string[] {
  const kib = (pages: number) => formatKiB((pages * pageSize) / 1024);
  const f = s.fragmentation;
  const rows: [string, string][] = [
    ['page faults', `${s.pageFaults} (major ${s.majorFaults})`],
    ['swap in / out', `${s.swapIn} / ${plural(s.swapOut, 'page')}`],
    [
      'OOM kills',
      s.kills.length === 0
        ? String(s.oomKills)
        : `${s.oomKills}: ${s.kills.map((v) => `${v.name} (pid ${v.pid})`).join(', ')}`,
    ],
    [
      'slab',
      `${formatKiB(s.slab.kB)} in ${plural(s.slab.caches, 'cache')}, ${s.slab.activeObjects} of ${plural(s.slab.totalObjects, 'object')} active (${percent(s.slab.utilization)} of slot bytes)`,
    ],
    [
      'memory',
      `${formatKiB(s.memory.freeKiB)} free, ${formatKiB(s.memory.availableKiB)} available of ${formatKiB(s.memory.totalKiB)}`,
    ],
    [
      'swap',
      s.memory.swapTotalKiB === 0
        ? 'none'
        : `${formatKiB(s.memory.swapTotalKiB - s.memory.swapFreeKiB)} used of ${formatKiB(s.memory.swapTotalKiB)}`,
    ],
    [
      'fragmentation',
      `${kib(f.freeBelowOrder3Pages)} of ${kib(f.freePages)} free is in blocks below order ${FRAGMENTATION_ORDER} (unusable free space index ${f.unusableIndex.toFixed(3)})`,
    ],
    [
      'largest free block',
      f.largestFreeOrder < 0
        ? 'none'
        : `order ${f.largestFreeOrder} (${kib(2 ** f.largestFreeOrder)})`,
    ],
  ];
  const count = (state: string) => s.processes.filter((p) => p.state === state).length;
  rows.push([
    'processes',
    `${s.processes.length} (${count('running')} running, ${count('exited')} exited, ${count('killed')} killed)`,
  ]);
  const width = Math.max(...rows.map(([name]) => name.length));
  const lines = rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`);
  // The processes still there and the ones killed; exited ones are only counted above.
  const shown = s.processes.filter((p) => p.state !== 'exited');
  if (shown.length > 0) {
    lines.push('');
    lines.push(
      `${'pid'.padStart(5)}  ${'name'.padEnd(16)} ${'state'.padEnd(8)} ${'rss'.padStart(10)} ${'swap'.padStart(10)}`,
    );
    if (shown.length > MAX_PROCESS_ROWS) {
      const more = shown.length - MAX_PROCESS_ROWS;
      shown.length = MAX_PROCESS_ROWS;
      lines.push(...shown.map(processRow), `  ... and ${more} more`);
      return lines;
    }
    for (const p of shown) {
      lines.push(processRow(p));
    }
  }
  return lines;
}

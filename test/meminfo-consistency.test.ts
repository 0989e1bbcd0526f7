/**
 * /proc/meminfo, /proc/vmstat and /proc/swaps checked against each other
 * and against the machine after every step of a workload.
 *
 * The three files are parsed back from their text, as a monitoring tool
 * would read them, and every value two of them share must agree (MemFree
 * and nr_free_pages, the LRU lines and nr_*_anon/file, SwapTotal - SwapFree
 * and the Used column, ...). Then they are compared with what the machine
 * holds, counted here without the counters behind /proc: the zones' free
 * and managed pages, the distinct frames the page tables map (walked with
 * `lookupPte`, so a page shared after fork counts once), the page cache, the
 * shmem objects, the swap cache and /proc/slabinfo.
 *
 * Workloads (anonymous memory, fork and COW, shared anonymous memory, file
 * I/O and shared file mappings, slab caches, memory pressure with swap, the
 * OOM killer) run on x86_64, i386 with highmem and arm64 with 16 KiB
 * pages; each ends with everything freed and the files as they were at
 * boot. A model-based property runs random sequences of the same steps.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  __GFP_RECLAIMABLE,
  type ArchName,
  type BootOptions,
  GFP_KERNEL,
  Kernel,
  KernelBug,
  KernelError,
  type KmemCache,
  LRU_NAMES,
  MADV_DONTNEED,
  MADV_FREE,
  MAP_ANONYMOUS,
  MAP_LOCKED,
  MAP_PRIVATE,
  MAP_SHARED,
  MS_SYNC,
  NR_LRU_LISTS,
  O_RDWR,
  PG,
  PROT_READ,
  PROT_WRITE,
  type Process,
  pageCacheOf,
  type Shrinker,
  SLAB_RECLAIM_ACCOUNT,
  VM_LOCKED,
} from '../src/index.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const SHARED_ANON = MAP_SHARED | MAP_ANONYMOUS;

// --- parsers -------------------------------------------------------------------

/** `/proc/meminfo` as label -> number (KiB, or a count for HugePages_*). */
function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new Error('meminfo: no newline at the end');
  for (const line of lines) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)( kB)?$/.exec(line);
    if (m === null) throw new Error(`meminfo: cannot parse ${JSON.stringify(line)}`);
    const label = m[1] as string;
    if ((m[3] === undefined) !== /^HugePages_/.test(label)) {
      throw new Error(`meminfo: unit of ${JSON.stringify(line)}`);
    }
    if (out.has(label)) throw new Error(`meminfo: ${label} twice`);
    out.set(label, Number(m[2]));
  }
  return out;
}

/** `/proc/vmstat` as name -> number. */
function parseVmstat(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new Error('vmstat: no newline at the end');
  for (const line of lines) {
    const m = /^([a-z0-9_]+) (\d+)$/.exec(line);
    if (m === null) throw new Error(`vmstat: cannot parse ${JSON.stringify(line)}`);
    if (out.has(m[1] as string)) throw new Error(`vmstat: ${m[1]} twice`);
    out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

interface SwapsRow {
  readonly filename: string;
  readonly type: string;
  readonly size: number;
  readonly used: number;
  readonly priority: number;
}

/** `/proc/swaps` rows below the header; sizes in KiB. */
function parseSwaps(text: string): SwapsRow[] {
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new Error('swaps: no newline at the end');
  if (lines.shift() !== 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority') {
    throw new Error('swaps: bad header');
  }
  return lines.map((line) => {
    const f = line.split(/\s+/);
    if (f.length !== 5) throw new Error(`swaps: cannot parse ${JSON.stringify(line)}`);
    return {
      filename: f[0] as string,
      type: f[1] as string,
      size: Number(f[2]),
      used: Number(f[3]),
      priority: Number(f[4]),
    };
  });
}

/** `/proc/slabinfo`: the pages of all slabs, `num_slabs * pagesperslab` summed. */
function slabinfoPages(text: string): number {
  let pages = 0;
  for (const line of text.trimEnd().split('\n').slice(2)) {
    const m =
      /^\S+\s+\d+\s+\d+\s+\d+\s+\d+\s+(\d+) : tunables.* : slabdata\s+\d+\s+(\d+)\s+\d+$/.exec(
        line,
      );
    if (m === null) throw new Error(`slabinfo: cannot parse ${JSON.stringify(line)}`);
    pages += Number(m[1]) * Number(m[2]);
  }
  return pages;
}

function get(map: ReadonlyMap<string, number>, key: string, file: string): number {
  const v = map.get(key);
  if (v === undefined) throw new Error(`${file}: no ${key}`);
  return v;
}

// --- the machine, counted without /proc's counters -----------------------------

/** Distinct frames of user memory, found through the page tables and the caches. */
interface Census {
  /** Every frame user memory occupies: mapped, page cache, shmem, swap cache. */
  readonly userPages: number;
  /** Mapped frames that are neither page cache nor shmem (private anonymous and COW copies). */
  readonly anonMapped: number;
  /** Mapped frames of the page cache or of shmem objects. */
  readonly fileMapped: number;
  readonly pageCache: number;
  /** Page cache frames with PG_dirty. */
  readonly dirty: number;
  readonly shmem: number;
  readonly swapCache: number;
  /** Frames mapped by a VM_LOCKED VMA. */
  readonly locked: number;
  /** Frames the file LRU should hold: page cache and MADV_FREE'd anonymous pages, none locked. */
  readonly fileLru: number;
}

function census(k: Kernel): Census {
  const ps = k.PAGE_SIZE;
  const cache = new Set<number>();
  let dirty = 0;
  pageCacheOf(k.vfs, k.buddy).forEachPage((_inode, _index, pfn) => {
    cache.add(pfn);
    if (k.memMap.testFlag(pfn, PG.dirty)) dirty++;
  });
  const shmem = new Set<number>();
  for (const obj of k.vm.shmemObjects.values())
    for (const pfn of obj.pages.values()) shmem.add(pfn);
  const swapCache = new Set<number>();
  const area = k.swap?.area;
  if (area !== undefined) {
    for (let slot = 1; slot <= area.total; slot++) {
      const pfn = area.swapCache[slot] as number;
      if (pfn >= 0) swapCache.add(pfn);
    }
  }
  const mapped = new Set<number>();
  const locked = new Set<number>();
  for (const p of k.processes.values()) {
    for (const vma of p.mm.vmas.all()) {
      for (let va = vma.start; va < vma.end; va += ps) {
        const pte = p.mm.lookupPte(va);
        if (pte === null || pte.pfn === k.vm.zeroPfn) continue;
        mapped.add(pte.pfn);
        if ((vma.flags & VM_LOCKED) !== 0) locked.add(pte.pfn);
      }
    }
  }
  const all = new Set([...mapped, ...cache, ...shmem, ...swapCache]);
  let fileMapped = 0;
  let fileLru = 0;
  for (const pfn of all) {
    const inCache = cache.has(pfn);
    if (mapped.has(pfn) && (inCache || shmem.has(pfn))) fileMapped++;
    // MADV_FREE clears PG_swapbacked: such an anonymous page waits on the file list.
    const lazyfree = !inCache && !shmem.has(pfn) && !k.memMap.testFlag(pfn, PG.swapbacked);
    if ((inCache || lazyfree) && !locked.has(pfn)) fileLru++;
  }
  return {
    userPages: all.size,
    anonMapped: mapped.size - fileMapped,
    fileMapped,
    pageCache: cache.size,
    dirty,
    shmem: shmem.size,
    swapCache: swapCache.size,
    locked: locked.size,
    fileLru,
  };
}

// --- the agreement rules -------------------------------------------------------

interface Snapshot {
  readonly meminfoText: string;
  readonly vmstatText: string;
  readonly meminfo: Map<string, number>;
  readonly vmstat: Map<string, number>;
  readonly swaps: SwapsRow[];
  /** A meminfo value in KiB. */
  mi(label: string): number;
  /** A vmstat value as printed. */
  vs(name: string): number;
}

function snapshot(k: Kernel): Snapshot {
  const meminfoText = k.proc('/proc/meminfo');
  const vmstatText = k.proc('/proc/vmstat');
  const meminfo = parseMeminfo(meminfoText);
  const vmstat = parseVmstat(vmstatText);
  return {
    meminfoText,
    vmstatText,
    meminfo,
    vmstat,
    swaps: parseSwaps(k.proc('/proc/swaps')),
    mi: (label) => get(meminfo, label, '/proc/meminfo'),
    vs: (name) => get(vmstat, name, '/proc/vmstat'),
  };
}

/** A /proc/meminfo value in pages. */
function pagesOf(s: Snapshot, k: Kernel, label: string): number {
  return s.mi(label) / (k.PAGE_SIZE / 1024);
}

/**
 * `k.checkInvariants()` walks every frame: about 0.6 s on a 1 GiB machine,
 * so checkAll leaves it to the end of a workload on machines that large.
 */
const INVARIANTS_EVERY_STEP_UP_TO = 64 * 2 ** 20;

/**
 * Reads the three files, checks every rule that relates them to each other
 * and to the machine, and (unless told not to, or on a large machine)
 * `k.checkInvariants()`. Returns what was read.
 */
function checkAll(k: Kernel, invariants = k.memory.size <= INVARIANTS_EVERY_STEP_UP_TO): Snapshot {
  const s = snapshot(k);
  const { mi, vs } = s;
  const kib = k.PAGE_SIZE / 1024;

  // meminfo against vmstat.
  expect(mi('MemFree'), 'MemFree == nr_free_pages').toBe(vs('nr_free_pages') * kib);
  expect(mi('Active'), 'Active == Active(anon) + Active(file)').toBe(
    mi('Active(anon)') + mi('Active(file)'),
  );
  expect(mi('Inactive'), 'Inactive == Inactive(anon) + Inactive(file)').toBe(
    mi('Inactive(anon)') + mi('Inactive(file)'),
  );
  const lruLabels = ['Inactive(anon)', 'Active(anon)', 'Inactive(file)', 'Active(file)'];
  for (let l = 0; l < NR_LRU_LISTS; l++) {
    const name = LRU_NAMES[l] as string;
    const label = lruLabels[l] ?? 'Unevictable';
    expect(mi(label), `${label} == nr_${name}`).toBe(vs(`nr_${name}`) * kib);
    expect(vs(`nr_zone_${name}`), `nr_zone_${name} == nr_${name} (one node)`).toBe(
      vs(`nr_${name}`),
    );
    expect(vs(`nr_${name}`), `nr_${name} == lru.size`).toBe(k.vm.lru.size[l]);
    let zones = 0;
    for (let z = 0; z < k.zones.length; z++) zones += k.vm.lru.zoneLruSize(z, l);
    expect(vs(`nr_zone_${name}`), `nr_zone_${name} == the zones' sizes summed`).toBe(zones);
  }
  expect(mi('Mlocked'), 'Mlocked == nr_mlock').toBe(vs('nr_mlock') * kib);
  expect(mi('AnonPages'), 'AnonPages == nr_anon_pages').toBe(vs('nr_anon_pages') * kib);
  expect(mi('Mapped'), 'Mapped == nr_mapped').toBe(vs('nr_mapped') * kib);
  expect(mi('Shmem'), 'Shmem == nr_shmem').toBe(vs('nr_shmem') * kib);
  expect(mi('Dirty'), 'Dirty == nr_dirty').toBe(vs('nr_dirty') * kib);
  expect(mi('SwapCached'), 'SwapCached == nr_swapcached').toBe(vs('nr_swapcached') * kib);
  expect(mi('Slab'), 'Slab == SReclaimable + SUnreclaim').toBe(
    mi('SReclaimable') + mi('SUnreclaim'),
  );
  expect(mi('SReclaimable'), 'SReclaimable == nr_slab_reclaimable').toBe(
    vs('nr_slab_reclaimable') * kib,
  );
  expect(mi('SUnreclaim'), 'SUnreclaim == nr_slab_unreclaimable').toBe(
    vs('nr_slab_unreclaimable') * kib,
  );
  expect(mi('KReclaimable'), 'KReclaimable == SReclaimable (no misc reclaimable)').toBe(
    mi('SReclaimable'),
  );
  expect(mi('PageTables'), 'PageTables == nr_page_table_pages').toBe(
    vs('nr_page_table_pages') * kib,
  );
  expect(mi('Cached'), 'Cached == nr_file_pages - nr_swapcached').toBe(
    (vs('nr_file_pages') - vs('nr_swapcached')) * kib,
  );
  expect(mi('Cached'), 'Cached >= Shmem').toBeGreaterThanOrEqual(mi('Shmem'));
  expect(mi('MemAvailable'), 'MemAvailable >= 0').toBeGreaterThanOrEqual(0);
  // (MADV_FREE'd pages sit on the file LRU without being Cached: add them.)
  const lazyfreeKib = (vs('nr_active_file') + vs('nr_inactive_file')) * kib - mi('Cached');
  expect(mi('MemAvailable'), 'MemAvailable <= MemFree + Cached + SReclaimable').toBeLessThanOrEqual(
    mi('MemFree') + mi('Cached') + mi('SReclaimable') + Math.max(0, lazyfreeKib),
  );
  expect(mi('CommitLimit'), 'CommitLimit == MemTotal * 50% + SwapTotal').toBe(
    (Math.floor(((mi('MemTotal') / kib) * 50) / 100) + mi('SwapTotal') / kib) * kib,
  );

  // Swap: meminfo against /proc/swaps and the boot option.
  const swapBytes = k.config.swap === false ? 0 : k.config.swap.size;
  expect(s.swaps.length, '/proc/swaps rows').toBe(swapBytes === 0 ? 0 : 1);
  const used = s.swaps.reduce((n, row) => n + row.used, 0);
  const size = s.swaps.reduce((n, row) => n + row.size, 0);
  expect(mi('SwapTotal') - mi('SwapFree'), 'SwapTotal - SwapFree == Used of /proc/swaps').toBe(
    used,
  );
  expect(mi('SwapTotal'), 'SwapTotal == Size of /proc/swaps').toBe(size);
  expect(mi('SwapTotal'), 'SwapTotal == swap size less the header page').toBe(
    swapBytes === 0 ? 0 : (swapBytes / k.PAGE_SIZE - 1) * kib,
  );
  expect(mi('SwapFree')).toBeLessThanOrEqual(mi('SwapTotal'));

  // meminfo against the zones.
  let managed = 0;
  let free = 0;
  let highManaged = 0;
  let highFree = 0;
  for (const zone of k.zones) {
    managed += zone.managed;
    free += zone.freePages;
    if (zone.name === 'HighMem') {
      highManaged += zone.managed;
      highFree += zone.freePages;
    }
  }
  expect(mi('MemTotal'), "MemTotal == the zones' managed pages").toBe(managed * kib);
  expect(mi('MemFree'), "MemFree == the zones' free pages").toBe(free * kib);
  if (highManaged > 0) {
    expect(mi('HighTotal') + mi('LowTotal'), 'HighTotal + LowTotal == MemTotal').toBe(
      mi('MemTotal'),
    );
    expect(mi('HighFree') + mi('LowFree'), 'HighFree + LowFree == MemFree').toBe(mi('MemFree'));
    expect(mi('HighTotal'), 'HighTotal == HighMem managed').toBe(highManaged * kib);
    expect(mi('HighFree'), 'HighFree == HighMem free').toBe(highFree * kib);
  } else {
    for (const label of ['HighTotal', 'HighFree', 'LowTotal', 'LowFree']) {
      expect(s.meminfo.has(label), `${label} without highmem`).toBe(false);
    }
  }
  // MemAvailable, worked out again from the zones as si_mem_available does.
  let reserve = 0;
  let wmarkLow = 0;
  for (const zone of k.zones) {
    reserve += Math.min(Math.max(0, ...zone.lowmemReserve) + zone.high, zone.managed);
    wmarkLow += zone.low;
  }
  const pagecache = vs('nr_active_file') + vs('nr_inactive_file');
  const reclaimable = vs('nr_slab_reclaimable');
  const available = Math.max(
    0,
    free -
      reserve +
      pagecache -
      Math.min(Math.floor(pagecache / 2), wmarkLow) +
      reclaimable -
      Math.min(Math.floor(reclaimable / 2), wmarkLow),
  );
  expect(mi('MemAvailable'), 'MemAvailable == si_mem_available').toBe(available * kib);

  // DirectMap lines: x86 only, covering the direct-mapped RAM.
  const directMap = [...s.meminfo.keys()].filter((label) => label.startsWith('DirectMap'));
  const arch = k.arch.name;
  if (arch === 'x86_64') {
    expect(directMap).toEqual(['DirectMap4k', 'DirectMap2M']);
    expect(mi('DirectMap4k') + mi('DirectMap2M')).toBe(k.memory.size / 1024);
  } else if (arch === 'i386') {
    expect(directMap).toEqual(['DirectMap4k', 'DirectMap4M']);
    expect(mi('DirectMap4k') + mi('DirectMap4M')).toBe(Math.min(k.memory.size, 896 << 20) / 1024);
  } else {
    expect(directMap, 'no DirectMap lines on arm64').toEqual([]);
  }

  // Against the frames themselves.
  const c = census(k);
  let lruPages = 0;
  for (let l = 0; l < NR_LRU_LISTS; l++) lruPages += k.vm.lru.size[l] as number;
  expect(lruPages, 'LRU pages == distinct user frames').toBe(c.userPages);
  expect(mi('Unevictable'), 'Unevictable == frames of VM_LOCKED VMAs').toBe(c.locked * kib);
  expect(mi('Mlocked'), 'Mlocked == frames of VM_LOCKED VMAs').toBe(c.locked * kib);
  expect(vs('nr_active_file') + vs('nr_inactive_file'), 'file LRU == page cache + lazyfree').toBe(
    c.fileLru,
  );
  expect(mi('AnonPages'), 'AnonPages == distinct mapped anonymous frames').toBe(c.anonMapped * kib);
  expect(mi('Mapped'), 'Mapped == distinct mapped page-cache and shmem frames').toBe(
    c.fileMapped * kib,
  );
  expect(vs('nr_file_pages'), 'nr_file_pages == page cache + shmem + swap cache').toBe(
    c.pageCache + c.shmem + c.swapCache,
  );
  expect(mi('Shmem'), 'Shmem == shmem frames').toBe(c.shmem * kib);
  expect(mi('SwapCached'), 'SwapCached == swap cache frames').toBe(c.swapCache * kib);
  expect(mi('Dirty'), 'Dirty == page-cache frames with PG_dirty').toBe(c.dirty * kib);
  if (k.swap !== null) {
    expect(mi('SwapFree'), 'SwapFree == free slots').toBe(k.swap.area.free * kib);
  }
  if (k.config.slab === 'slub') {
    expect(mi('Slab'), 'Slab == the slabs of /proc/slabinfo').toBe(
      slabinfoPages(k.proc('/proc/slabinfo')) * kib,
    );
  }

  if (invariants) k.checkInvariants();
  return s;
}

/** The page-state items of /proc/vmstat (not event counts). */
const VMSTAT_GAUGES = [
  'nr_free_pages',
  ...LRU_NAMES.map((n) => `nr_zone_${n}`),
  ...LRU_NAMES.map((n) => `nr_${n}`),
  'nr_mlock',
  'nr_slab_reclaimable',
  'nr_slab_unreclaimable',
  'nr_anon_pages',
  'nr_mapped',
  'nr_file_pages',
  'nr_dirty',
  'nr_shmem',
  'nr_page_table_pages',
  'nr_swapcached',
];

// --- machines and steps --------------------------------------------------------

interface Machine {
  readonly k: Kernel;
  /** The files right after boot, with the per-CPU lists drained. */
  readonly boot: Snapshot;
}

function bootMachine(options: BootOptions): Machine {
  const k = Kernel.boot({ seed: 1, ...options });
  pageCacheOf(k.vfs, k.buddy); // what the first open would create
  k.drainAllPages();
  return { k, boot: checkAll(k) };
}

/**
 * With every process gone, every object freed and the files unlinked:
 * frees the empty slabs and the per-CPU lists, then expects /proc/meminfo
 * exactly as at boot and the vmstat page counts as at boot.
 */
function expectBootState(m: Machine): void {
  const { k, boot } = m;
  expect(k.processes.size, 'live processes').toBe(0);
  for (const c of k.slab.caches) c.shrink();
  k.drainAllPages();
  const s = checkAll(k, true);
  expect(s.mi('SwapFree'), 'SwapFree == SwapTotal').toBe(s.mi('SwapTotal'));
  expect(s.mi('MemFree'), 'MemFree back').toBe(boot.mi('MemFree'));
  expect(s.meminfoText).toBe(boot.meminfoText);
  for (const name of VMSTAT_GAUGES) expect(s.vs(name), name).toBe(boot.vs(name));
}

function mapAnon(p: Process, pages: number, flags = ANON): number {
  const va = p.sys.mmap(0, pages * p.vm.arch.pageSize, RW, flags, -1, 0);
  expect(va, 'mmap').toBeGreaterThan(0);
  return va;
}

/** A tag for page `i` that fits 32 bits. */
const tag = (i: number, salt = 0): number => (Math.imul(i + 1, 0x9e3779b1) ^ salt) >>> 0;

interface Profile {
  readonly arch: ArchName;
  readonly memory: string;
}

const PROFILES: readonly Profile[] = [
  { arch: 'x86_64', memory: '32M' },
  { arch: 'i386', memory: '1G' },
  { arch: 'arm64-16k', memory: '32M' },
];

// --- workloads -----------------------------------------------------------------

describe.each(PROFILES)(
  '/proc agrees with itself and the machine on $arch ($memory)',
  (profile) => {
    const boot = (): Machine => bootMachine({ arch: profile.arch, memory: profile.memory });

    it('prints the highmem split on i386 above 896M, and none elsewhere', () => {
      const { k, boot: s } = boot();
      expect(s.meminfo.has('HighTotal')).toBe(profile.arch === 'i386');
      if (profile.arch === 'i386') expect(s.mi('HighTotal')).toBeGreaterThan(0);
      expect(s.mi('SwapTotal')).toBe(0);
      expect(s.swaps).toEqual([]);
      k.checkInvariants();
    });

    it('anonymous private mmap: stores fault pages in, reads map the zero page, munmap frees', () => {
      const m = boot();
      const { k } = m;
      const ps = k.PAGE_SIZE;
      const base = m.boot;
      const p = k.spawn({ name: 'anon' });
      checkAll(k);
      const va = mapAnon(p, 64);
      let s = checkAll(k);
      expect(s.mi('AnonPages')).toBe(base.mi('AnonPages'));
      expect(pagesOf(s, k, 'Committed_AS')).toBeGreaterThanOrEqual(64);
      for (let i = 0; i < 64; i += 2) p.store32(va + i * ps, tag(i));
      s = checkAll(k);
      expect(pagesOf(s, k, 'AnonPages')).toBe(32);
      expect(pagesOf(s, k, 'Active(anon)') + pagesOf(s, k, 'Inactive(anon)')).toBe(32);
      for (let i = 1; i < 64; i += 2) expect(p.load32(va + i * ps)).toBe(0);
      s = checkAll(k);
      expect(pagesOf(s, k, 'AnonPages'), 'the zero page is no anonymous page').toBe(32);
      expect(p.sys.munmap(va, 32 * ps)).toBe(0);
      s = checkAll(k);
      expect(pagesOf(s, k, 'AnonPages')).toBe(16);
      for (let i = 32; i < 64; i += 2) expect(p.load32(va + i * ps)).toBe(tag(i));
      p.exit();
      checkAll(k);
      expectBootState(m);
    });

    it('MAP_LOCKED pages are Unevictable and Mlocked; MADV_FREE moves pages to the file list', () => {
      const m = boot();
      const { k } = m;
      const ps = k.PAGE_SIZE;
      const p = k.spawn({ name: 'locker' });
      const locked = mapAnon(p, 8, ANON | MAP_LOCKED);
      for (let i = 0; i < 8; i++) p.store32(locked + i * ps, tag(i));
      let s = checkAll(k);
      expect(pagesOf(s, k, 'Unevictable')).toBe(8);
      expect(pagesOf(s, k, 'Mlocked')).toBe(8);
      expect(pagesOf(s, k, 'AnonPages')).toBe(8);
      expect(
        s.mi('Active(anon)') + s.mi('Inactive(anon)'),
        'locked pages are on no anon list',
      ).toBe(0);
      expect(p.sys.madvise(locked, 8 * ps, MADV_DONTNEED), 'EINVAL on VM_LOCKED').toBe(-22);
      expect(snapshot(k).meminfoText).toBe(s.meminfoText);
      const lazy = mapAnon(p, 16);
      for (let i = 0; i < 16; i++) p.store32(lazy + i * ps, tag(i));
      s = checkAll(k);
      expect(pagesOf(s, k, 'Active(anon)') + pagesOf(s, k, 'Inactive(anon)')).toBe(16);
      expect(p.sys.madvise(lazy, 16 * ps, MADV_FREE)).toBe(0);
      s = checkAll(k);
      expect(pagesOf(s, k, 'Inactive(file)'), 'lazily freed pages wait on the file list').toBe(16);
      expect(s.mi('Cached'), 'but they are not page cache').toBe(0);
      expect(pagesOf(s, k, 'AnonPages'), 'and still anonymous and mapped').toBe(24);
      expect(p.sys.madvise(lazy, 16 * ps, MADV_DONTNEED)).toBe(0);
      s = checkAll(k);
      expect(pagesOf(s, k, 'AnonPages')).toBe(8);
      expect(s.mi('Inactive(file)')).toBe(0);
      expect(p.sys.munmap(locked, 8 * ps)).toBe(0);
      s = checkAll(k);
      expect(s.mi('Unevictable')).toBe(0);
      expect(s.mi('Mlocked')).toBe(0);
      p.exit();
      expectBootState(m);
    });

    it('fork shares pages once, copy-on-write adds one page per write, exit returns them', () => {
      const m = boot();
      const { k } = m;
      const ps = k.PAGE_SIZE;
      const p = k.spawn({ name: 'parent' });
      const va = mapAnon(p, 32);
      for (let i = 0; i < 32; i++) p.store32(va + i * ps, tag(i));
      let s = checkAll(k);
      expect(pagesOf(s, k, 'AnonPages')).toBe(32);
      const tables = s.mi('PageTables');
      const c = p.fork();
      s = checkAll(k);
      expect(pagesOf(s, k, 'AnonPages'), 'shared after fork: counted once').toBe(32);
      expect(s.mi('PageTables'), 'the child has its own tables').toBeGreaterThan(tables);
      for (let i = 0; i < 8; i++) c.store32(va + i * ps, tag(i, 1));
      s = checkAll(k);
      expect(pagesOf(s, k, 'AnonPages')).toBe(40);
      for (let i = 8; i < 12; i++) p.store32(va + i * ps, tag(i, 2));
      s = checkAll(k);
      expect(pagesOf(s, k, 'AnonPages')).toBe(44);
      for (let i = 0; i < 32; i++) {
        expect(p.load32(va + i * ps)).toBe(tag(i, i >= 8 && i < 12 ? 2 : 0));
        expect(c.load32(va + i * ps)).toBe(tag(i, i < 8 ? 1 : 0));
      }
      c.exit();
      s = checkAll(k);
      // The child's 8 copies and its 4 originals (p copied those) go; p's 32 stay.
      expect(pagesOf(s, k, 'AnonPages')).toBe(32);
      p.exit();
      checkAll(k);
      expectBootState(m);
    });

    it('MAP_SHARED|MAP_ANONYMOUS counts as Shmem, Cached and Mapped, not AnonPages', () => {
      const m = boot();
      const { k } = m;
      const ps = k.PAGE_SIZE;
      const p = k.spawn({ name: 'shm' });
      const va = mapAnon(p, 16, SHARED_ANON);
      checkAll(k);
      for (let i = 0; i < 10; i++) p.store32(va + i * ps, tag(i));
      let s = checkAll(k);
      expect(pagesOf(s, k, 'Shmem')).toBe(10);
      expect(pagesOf(s, k, 'Cached')).toBe(10);
      expect(pagesOf(s, k, 'Mapped')).toBe(10);
      expect(pagesOf(s, k, 'AnonPages')).toBe(0);
      expect(pagesOf(s, k, 'Active(anon)') + pagesOf(s, k, 'Inactive(anon)')).toBe(10);
      const c = p.fork();
      c.store32(va, 7);
      s = checkAll(k);
      expect(p.load32(va), 'one page for both').toBe(7);
      expect(pagesOf(s, k, 'Shmem')).toBe(10);
      c.store32(va + 10 * ps, 1);
      c.store32(va + 11 * ps, 2);
      s = checkAll(k);
      expect(pagesOf(s, k, 'Shmem')).toBe(12);
      expect(pagesOf(s, k, 'Mapped'), 'pages p has not touched are mapped by c alone').toBe(12);
      expect(p.sys.munmap(va, 16 * ps)).toBe(0);
      s = checkAll(k);
      expect(pagesOf(s, k, 'Shmem'), 'c still maps the object').toBe(12);
      c.exit();
      s = checkAll(k);
      expect(pagesOf(s, k, 'Shmem')).toBe(0);
      p.exit();
      expectBootState(m);
    });

    it('file read fills Cached, shared writes raise Dirty, msync lowers it, unlink drops the cache', () => {
      const m = boot();
      const { k } = m;
      const ps = k.PAGE_SIZE;
      const pages = 8;
      const data = new Uint8Array(pages * ps);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
      k.vfs.writeFile('/data', data);
      let s = checkAll(k);
      const p = k.spawn({ name: 'reader' });
      const fd = p.sys.open('/data', O_RDWR);
      expect(fd).toBeGreaterThanOrEqual(0);
      const buf = mapAnon(p, pages);
      expect(p.sys.read(fd, buf, pages * ps)).toBe(pages * ps);
      expect(p.read(buf, pages * ps)).toEqual(data);
      s = checkAll(k);
      expect(pagesOf(s, k, 'Cached')).toBe(pages);
      expect(pagesOf(s, k, 'Active(file)') + pagesOf(s, k, 'Inactive(file)')).toBe(pages);
      expect(pagesOf(s, k, 'AnonPages'), 'the buffer read() filled').toBe(pages);
      expect(s.mi('Mapped')).toBe(0);
      const fm = p.sys.mmap(0, pages * ps, RW, MAP_SHARED, fd, 0);
      expect(fm).toBeGreaterThan(0);
      for (const i of [0, 3, 5]) p.store8(fm + i * ps + 1, 0xee);
      s = checkAll(k);
      expect(pagesOf(s, k, 'Dirty')).toBe(3);
      expect(pagesOf(s, k, 'Mapped')).toBe(3);
      expect(pagesOf(s, k, 'Cached'), 'the mapping uses the cached pages').toBe(pages);
      expect(p.sys.msync(fm, pages * ps, MS_SYNC)).toBe(0);
      s = checkAll(k);
      expect(s.mi('Dirty')).toBe(0);
      expect(k.vfs.readFile('/data')[3 * ps + 1]).toBe(0xee);
      expect(p.sys.munmap(fm, pages * ps)).toBe(0);
      s = checkAll(k);
      expect(s.mi('Mapped')).toBe(0);
      expect(p.sys.close(fd)).toBe(0);
      p.exit();
      s = checkAll(k);
      expect(pagesOf(s, k, 'Cached'), 'the cache outlives the process').toBe(pages);
      k.vfs.unlink('/data');
      s = checkAll(k);
      expect(s.mi('Cached')).toBe(0);
      expectBootState(m);
    });

    it('SLAB_RECLAIM_ACCOUNT caches raise SReclaimable, plain caches SUnreclaim', () => {
      const m = boot();
      const { k } = m;
      const reclaimable = k.kmemCacheCreate('mi-reclaimable', 256, { flags: SLAB_RECLAIM_ACCOUNT });
      const plain = k.kmemCacheCreate('mi-plain', 256);
      const base = checkAll(k);
      const alloc = (c: KmemCache, n: number): number[] =>
        Array.from({ length: n }, () => {
          const obj = k.kmemCacheAlloc(c, GFP_KERNEL);
          if (obj === null) throw new Error(`${c.name}: allocation failed`);
          return obj;
        });
      const r = alloc(reclaimable, 100);
      let s = checkAll(k);
      expect(s.mi('SReclaimable')).toBeGreaterThan(base.mi('SReclaimable'));
      expect(s.mi('SUnreclaim')).toBe(base.mi('SUnreclaim'));
      expect(s.mi('MemAvailable'), 'reclaimable slab counts as available').toBeGreaterThan(
        base.mi('MemAvailable') - (base.mi('MemFree') - s.mi('MemFree')),
      );
      const u = alloc(plain, 100);
      const s2 = checkAll(k);
      expect(s2.mi('SUnreclaim')).toBeGreaterThan(s.mi('SUnreclaim'));
      expect(s2.mi('SReclaimable')).toBe(s.mi('SReclaimable'));
      s = s2;
      // kmalloc: __GFP_RECLAIMABLE picks the kmalloc-rcl-* caches.
      const rk = Array.from({ length: 50 }, () => k.kmalloc(100, GFP_KERNEL | __GFP_RECLAIMABLE));
      const s3 = checkAll(k);
      expect(s3.mi('SReclaimable')).toBeGreaterThan(s.mi('SReclaimable'));
      expect(s3.mi('SUnreclaim')).toBe(s.mi('SUnreclaim'));
      const uk = Array.from({ length: 50 }, () => k.kmalloc(100, GFP_KERNEL));
      const s4 = checkAll(k);
      expect(s4.mi('SUnreclaim')).toBeGreaterThan(s3.mi('SUnreclaim'));
      expect(s4.mi('SReclaimable')).toBe(s3.mi('SReclaimable'));
      for (const obj of r) k.kmemCacheFree(reclaimable, obj);
      checkAll(k);
      for (const obj of u) k.kmemCacheFree(plain, obj);
      checkAll(k);
      for (const ptr of [...rk, ...uk]) k.kfree(ptr);
      checkAll(k);
      k.kmemCacheDestroy(reclaimable);
      k.kmemCacheDestroy(plain);
      checkAll(k);
      expectBootState(m);
    });

    it('memory pressure swaps out (SwapFree falls, pswpout), swap-in goes through SwapCached', () => {
      const m = bootMachine({ arch: profile.arch, memory: '8M', swap: { size: '16M' } });
      const { k } = m;
      const ps = k.PAGE_SIZE;
      const ram = pagesOf(m.boot, k, 'MemTotal');
      const chunk = Math.max(16, Math.floor(ram / 8));
      const touch = (p: Process, va: number, n: number, salt: number): void => {
        for (let i = 0; i < n; i++) {
          p.store32(va + i * ps, tag(i, salt));
          if (i % chunk === chunk - 1) checkAll(k, false);
        }
        checkAll(k);
      };
      const p = k.spawn({ name: 'parent' });
      const n = Math.floor(ram * 1.1);
      const va = mapAnon(p, n);
      touch(p, va, n, 0);
      let s = checkAll(k);
      expect(s.mi('SwapFree')).toBeLessThan(s.mi('SwapTotal'));
      expect(s.vs('pswpout')).toBeGreaterThan(0);
      expect(s.swaps[0]?.used).toBeGreaterThan(0);
      const c = p.fork();
      checkAll(k);
      const h = k.spawn({ name: 'hog' });
      const hn = Math.floor(ram * 0.6);
      touch(h, mapAnon(h, hn), hn, 5);
      // The child reads everything back: a page swapped out before the fork
      // comes in through the swap cache, where it stays while the parent's
      // PTE still holds the swap entry.
      let sawSwapCached = false;
      for (let i = 0; i < n; i++) {
        expect(c.load32(va + i * ps)).toBe(tag(i));
        if (i % chunk === chunk - 1) sawSwapCached ||= checkAll(k, false).vs('nr_swapcached') > 0;
      }
      s = checkAll(k);
      expect(sawSwapCached, 'SwapCached rose').toBe(true);
      expect(s.vs('pswpin')).toBeGreaterThan(0);
      expect(s.vs('pgmajfault')).toBeGreaterThan(0);
      for (let i = 0; i < n; i += 5) expect(p.load32(va + i * ps)).toBe(tag(i));
      checkAll(k);
      h.exit();
      checkAll(k);
      c.exit();
      checkAll(k);
      p.exit();
      checkAll(k);
      expectBootState(m);
    });

    it('the OOM killer frees the victim: /proc still agrees, and everything comes back', () => {
      const m = bootMachine({ arch: profile.arch, memory: '8M' });
      const { k } = m;
      const ps = k.PAGE_SIZE;
      const ram = pagesOf(m.boot, k, 'MemTotal');
      const small = k.spawn({ name: 'small' });
      const sva = mapAnon(small, 10);
      for (let i = 0; i < 10; i++) small.store32(sva + i * ps, tag(i));
      checkAll(k);
      const hog = k.spawn({ name: 'hog' });
      const n = Math.floor(ram * 0.97);
      const va = mapAnon(hog, n);
      const chunk = Math.max(16, Math.floor(ram / 16));
      let killedAt = -1;
      for (let i = 0; i < n && killedAt < 0; i++) {
        try {
          hog.store32(va + i * ps, tag(i));
        } catch (e) {
          expect(e).toBeInstanceOf(KernelError);
          killedAt = i;
        }
        if (i % chunk === chunk - 1) checkAll(k, false);
      }
      const s = checkAll(k);
      expect(killedAt, 'the hog was killed').toBeGreaterThan(0);
      expect(hog.state).toBe('killed');
      expect(s.vs('oom_kill')).toBe(1);
      expect(k.dmesg()).toMatch(new RegExp(`Out of memory: Killed process ${hog.pid} \\(hog\\)`));
      expect(pagesOf(s, k, 'AnonPages'), "the small process's pages are left").toBe(10);
      for (let i = 0; i < 10; i++) expect(small.load32(sva + i * ps)).toBe(tag(i));
      small.exit();
      expectBootState(m);
    });
  },
);

// --- mlock ---------------------------------------------------------------------

describe('Unevictable and Mlocked follow the VM_LOCKED mappings, as Linux keeps them', () => {
  it('fork does not inherit VM_LOCKED; pages are munlocked when the last locked mapping goes', () => {
    const m = bootMachine({ memory: '32M' });
    const { k } = m;
    const ps = k.PAGE_SIZE;
    const p = k.spawn({ name: 'locker' });
    const va = mapAnon(p, 8, ANON | MAP_LOCKED);
    for (let i = 0; i < 8; i++) p.store32(va + i * ps, tag(i));
    const c = p.fork();
    let s = checkAll(k);
    expect(pagesOf(s, k, 'Unevictable'), "still locked by the parent's mapping").toBe(8);
    // mlock(2): "Memory locks are not inherited by a child created via fork(2)"
    // (dup_mmap clears VM_LOCKED_MASK in the child's copy).
    expect((c.mm.vmas.findVma(va)?.flags ?? 0) & VM_LOCKED, "the child's VMA").toBe(0);
    expect(c.sys.madvise(va, 8 * ps, MADV_DONTNEED), 'the child may drop its pages').toBe(0);
    for (let i = 0; i < 8; i++) expect(c.load32(va + i * ps)).toBe(0);
    const d = p.fork();
    s = checkAll(k);
    expect(pagesOf(s, k, 'Unevictable')).toBe(8);
    p.exit();
    s = checkAll(k);
    // munlock_vma_folio: the pages stay mapped by d, without VM_LOCKED, so they are evictable.
    expect(s.mi('Unevictable'), 'Unevictable after the locked mapping went').toBe(0);
    expect(s.mi('Mlocked'), 'Mlocked after the locked mapping went').toBe(0);
    expect(pagesOf(s, k, 'Active(anon)') + pagesOf(s, k, 'Inactive(anon)')).toBe(8);
    c.exit();
    d.exit();
    expectBootState(m);
  });

  it('page-cache pages mapped by a MAP_LOCKED mapping are mlocked at once', () => {
    const m = bootMachine({ memory: '32M' });
    const { k } = m;
    const ps = k.PAGE_SIZE;
    k.vfs.writeFile('/locked', new Uint8Array(4 * ps).fill(1));
    const p = k.spawn({ name: 'locker' });
    const fd = p.sys.open('/locked', O_RDWR);
    // MAP_LOCKED populates the mapping (mm_populate); each page is mlocked as it
    // is mapped (mlock_vma_folio from folio_add_file_rmap_ptes).
    const va = p.sys.mmap(0, 4 * ps, RW, MAP_SHARED | MAP_LOCKED, fd, 0);
    expect(va).toBeGreaterThan(0);
    let s = checkAll(k);
    expect(pagesOf(s, k, 'Mapped')).toBe(4);
    expect(pagesOf(s, k, 'Unevictable')).toBe(4);
    expect(pagesOf(s, k, 'Mlocked')).toBe(4);
    expect(s.mi('Active(file)') + s.mi('Inactive(file)'), 'on no file list').toBe(0);
    expect(p.sys.munmap(va, 4 * ps)).toBe(0);
    s = checkAll(k);
    expect(s.mi('Unevictable')).toBe(0);
    expect(pagesOf(s, k, 'Active(file)') + pagesOf(s, k, 'Inactive(file)')).toBe(4);
    expect(p.sys.close(fd)).toBe(0);
    p.exit();
    k.vfs.unlink('/locked');
    expectBootState(m);
  });
});

// --- rejected calls ------------------------------------------------------------

describe('a rejected call leaves /proc as it was', () => {
  function procState(k: Kernel): string[] {
    return ['/proc/meminfo', '/proc/vmstat', '/proc/swaps'].map((path) => k.proc(path));
  }

  it('reading /proc changes nothing', () => {
    const { k } = bootMachine({ memory: '16M', swap: { size: '4M' } });
    const p = k.spawn();
    p.store32(mapAnon(p, 4), 1);
    expect(procState(k)).toEqual(procState(k));
  });

  it('registerShrinker twice throws on the second and changes no counter', () => {
    const { k } = bootMachine({ memory: '16M', swap: { size: '4M' } });
    const p = k.spawn();
    const va = mapAnon(p, 8);
    for (let i = 0; i < 8; i++) p.store32(va + i * k.PAGE_SIZE, i);
    const s: Shrinker = { name: 'mi-test', countObjects: () => 3, scanObjects: () => 0 };
    k.registerShrinker(s);
    const before = procState(k);
    expect(() => k.registerShrinker(s)).toThrow(KernelBug);
    expect(procState(k)).toEqual(before);
    k.unregisterShrinker(s);
    expect(() => k.unregisterShrinker(s)).toThrow(KernelBug);
    expect(procState(k)).toEqual(before);
    checkAll(k);
  });

  it('misused allocators and failing syscalls change no counter', () => {
    const { k } = bootMachine({ memory: '16M', swap: { size: '4M' } });
    const p = k.spawn();
    const va = mapAnon(p, 4);
    p.store32(va, 1);
    const obj = k.kmalloc(64, GFP_KERNEL);
    k.kfree(obj);
    const pfn = k.allocPages(GFP_KERNEL, 0);
    if (pfn === null) throw new Error('allocPages failed');
    k.freePages(pfn, 0);
    const before = procState(k);
    expect(() => k.kfree(obj), 'double kfree').toThrow(KernelBug);
    expect(procState(k)).toEqual(before);
    expect(() => k.freePages(pfn, 0), 'double free of a page').toThrow(KernelBug);
    expect(() => k.allocPages(GFP_KERNEL, 11), 'order above MAX_ORDER').toThrow(KernelBug);
    expect(procState(k)).toEqual(before);
    expect(p.sys.munmap(va + 1, k.PAGE_SIZE), 'unaligned munmap').toBe(-22);
    expect(p.sys.mmap(0, 0, RW, ANON, -1, 0), 'mmap of length 0').toBe(-22);
    expect(p.sys.mmap(0, k.PAGE_SIZE, RW, MAP_SHARED, 99, 0), 'mmap of a bad fd').toBe(-9);
    expect(p.sys.open('/missing', O_RDWR)).toBe(-2);
    expect(procState(k)).toEqual(before);
    checkAll(k);
  });

  it('an unknown /proc path throws KernelError ENOENT and changes nothing', () => {
    const { k } = bootMachine({ memory: '16M' });
    const before = procState(k);
    for (const path of ['/proc/nonexistent', '/proc/meminfo/', '/proc/999/maps', 'meminfo']) {
      let error: unknown;
      try {
        k.proc(path);
      } catch (e) {
        error = e;
      }
      expect(error, path).toBeInstanceOf(KernelError);
      expect((error as KernelError).code).toBe('ENOENT');
      expect((error as KernelError).errno).toBe(2);
    }
    expect(procState(k)).toEqual(before);
  });
});

// --- random sequences ----------------------------------------------------------

interface Region {
  readonly va: number;
  readonly pages: number;
  /** The file it maps (MAP_SHARED), or null for anonymous memory. */
  readonly file: string | null;
  /** MAP_SHARED (a file, or shmem for anonymous memory). */
  readonly shared: boolean;
  /** MAP_LOCKED (in the process that mapped it; fork does not inherit VM_LOCKED). */
  readonly locked: boolean;
  /** Pages this region may add to the anonymous footprint. */
  readonly anon: number;
}

interface ProcModel {
  readonly p: Process;
  regions: Region[];
}

interface Model {
  readonly k: Kernel;
  readonly ram: number;
  procs: ProcModel[];
  /** Files with their size in pages, by path. */
  files: Map<string, number>;
  nextFile: number;
  readonly caches: readonly [KmemCache, KmemCache];
  objs: { cache: KmemCache; obj: number }[];
  kmallocs: number[];
  /** An upper bound of the anonymous and shmem pages the processes can fill. */
  footprint: number;
  readonly budget: number;
  /** Pages of MAP_LOCKED regions (which reclaim cannot take), kept below a quarter of RAM. */
  locked: number;
}

type Real = Record<string, never>;

const footprintOf = (pm: ProcModel): number => pm.regions.reduce((n, r) => n + r.anon, 0);
const lockedOf = (pm: ProcModel): number =>
  pm.regions.reduce((n, r) => n + (r.locked ? r.pages : 0), 0);

function pick<T>(list: readonly T[], i: number): T {
  return list[i % list.length] as T;
}

/** Runs `call` on `pm`'s process, accepting a failure only if the OOM killer took it. */
function inProcess(m: Model, pm: ProcModel, call: () => void): void {
  try {
    call();
  } catch (e) {
    if (pm.p.state !== 'killed') throw e;
  }
  prune(m);
}

function prune(m: Model): void {
  const gone = m.procs.filter((pm) => pm.p.state !== 'running');
  for (const pm of gone) {
    m.footprint -= footprintOf(pm);
    m.locked -= lockedOf(pm);
  }
  m.procs = m.procs.filter((pm) => pm.p.state === 'running');
}

type Cmd = fc.Command<Model, Real>;

function command(name: string, check: (m: Model) => boolean, run: (m: Model) => void): Cmd {
  return {
    check,
    run(m) {
      run(m);
      prune(m);
      checkAll(m.k);
    },
    toString: () => name,
  };
}

const procCount = (m: Model): boolean => m.procs.length > 0;

const commandArbs = [
  fc.constant(null).map(() =>
    command(
      'spawn',
      (m) => m.procs.length < 5,
      (m) => {
        m.procs.push({ p: m.k.spawn({ name: `p${m.procs.length}` }), regions: [] });
      },
    ),
  ),
  fc
    .record({
      who: fc.nat(),
      pages: fc.integer({ min: 1, max: 48 }),
      stride: fc.integer({ min: 1, max: 4 }),
      shared: fc.boolean(),
      locked: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    })
    .map(({ who, pages, stride, shared, locked }) =>
      command(
        `mmap(${pages}, stride ${stride}${shared ? ', shared' : ''}${locked ? ', locked' : ''})`,
        (m) =>
          procCount(m) &&
          m.footprint + pages <= m.budget &&
          (!locked || m.locked + pages <= m.ram / 4),
        (m) => {
          const pm = pick(m.procs, who);
          const flags = (shared ? SHARED_ANON : ANON) | (locked ? MAP_LOCKED : 0);
          const va = mapAnon(pm.p, pages, flags);
          pm.regions.push({ va, pages, file: null, shared, locked, anon: pages });
          m.footprint += pages;
          if (locked) m.locked += pages;
          const ps = m.k.PAGE_SIZE;
          inProcess(m, pm, () => {
            for (let i = 0; i < pages; i += stride) pm.p.store32(va + i * ps, tag(i));
          });
        },
      ),
    ),
  fc
    .record({ who: fc.nat(), fraction: fc.double({ min: 0.3, max: 0.9, noNaN: true }) })
    .map(({ who, fraction }) =>
      command(
        `pressure(${fraction.toFixed(2)} of RAM)`,
        (m) => procCount(m) && m.footprint + Math.ceil(m.ram * fraction) <= m.budget,
        (m) => {
          const pm = pick(m.procs, who);
          const pages = Math.ceil(m.ram * fraction);
          const va = mapAnon(pm.p, pages);
          pm.regions.push({ va, pages, file: null, shared: false, locked: false, anon: pages });
          m.footprint += pages;
          const ps = m.k.PAGE_SIZE;
          inProcess(m, pm, () => {
            for (let i = 0; i < pages; i++) pm.p.store32(va + i * ps, tag(i, 9));
          });
        },
      ),
    ),
  fc
    .record({
      who: fc.nat(),
      region: fc.nat(),
      write: fc.boolean(),
      stride: fc.integer({ min: 1, max: 3 }),
    })
    .map(({ who, region, write, stride }) =>
      command(
        `touch(${write ? 'write' : 'read'}, stride ${stride})`,
        (m) => m.procs.some((pm) => pm.regions.length > 0),
        (m) => {
          const withRegions = m.procs.filter((pm) => pm.regions.length > 0);
          const pm = pick(withRegions, who);
          const r = pick(pm.regions, region);
          const ps = m.k.PAGE_SIZE;
          inProcess(m, pm, () => {
            for (let i = 0; i < r.pages; i += stride) {
              if (write) pm.p.store32(r.va + i * ps, tag(i, 3));
              else pm.p.load32(r.va + i * ps);
            }
          });
        },
      ),
    ),
  fc.nat().map((who) =>
    command(
      'fork',
      (m) =>
        procCount(m) &&
        m.procs.length < 5 &&
        m.footprint + footprintOf(pick(m.procs, who)) <= m.budget,
      (m) => {
        const pm = pick(m.procs, who);
        let child: Process | null = null;
        inProcess(m, pm, () => {
          child = pm.p.fork();
        });
        if (child !== null) {
          const regions = pm.regions.map((r) => (r.locked ? { ...r, locked: false } : r));
          const copy: ProcModel = { p: child, regions };
          m.procs.push(copy);
          m.footprint += footprintOf(copy);
        }
      },
    ),
  ),
  fc.nat().map((who) =>
    command('exit', procCount, (m) => {
      const pm = pick(m.procs, who);
      pm.p.exit();
    }),
  ),
  fc.record({ who: fc.nat(), region: fc.nat() }).map(({ who, region }) =>
    command(
      'munmap',
      (m) => m.procs.some((pm) => pm.regions.length > 0),
      (m) => {
        const withRegions = m.procs.filter((pm) => pm.regions.length > 0);
        const pm = pick(withRegions, who);
        const r = pick(pm.regions, region);
        expect(pm.p.sys.munmap(r.va, r.pages * m.k.PAGE_SIZE)).toBe(0);
        pm.regions = pm.regions.filter((x) => x !== r);
        m.footprint -= r.anon;
        if (r.locked) m.locked -= r.pages;
      },
    ),
  ),
  fc.record({ who: fc.nat(), region: fc.nat(), free: fc.boolean() }).map(({ who, region, free }) =>
    command(
      free ? 'madvise(MADV_FREE)' : 'madvise(MADV_DONTNEED)',
      (m) => m.procs.some((pm) => pm.regions.length > 0),
      (m) => {
        const withRegions = m.procs.filter((pm) => pm.regions.length > 0);
        const pm = pick(withRegions, who);
        const r = pick(pm.regions, region);
        // MADV_FREE is for private anonymous memory; neither advice applies to VM_LOCKED.
        const einval = r.locked || (free && r.shared);
        const advice = free ? MADV_FREE : MADV_DONTNEED;
        expect(pm.p.sys.madvise(r.va, r.pages * m.k.PAGE_SIZE, advice)).toBe(einval ? -22 : 0);
      },
    ),
  ),
  fc.integer({ min: 1, max: 12 }).map((pages) =>
    command(
      `writeFile(${pages})`,
      (m) => m.files.size < 4,
      (m) => {
        const path = `/f${m.nextFile++}`;
        const data = new Uint8Array(pages * m.k.PAGE_SIZE);
        for (let i = 0; i < data.length; i += 97) data[i] = i & 0xff;
        m.k.vfs.writeFile(path, data);
        m.files.set(path, pages);
      },
    ),
  ),
  fc.record({ who: fc.nat(), file: fc.nat() }).map(({ who, file }) =>
    command(
      'open+read',
      (m) => procCount(m) && m.files.size > 0 && m.footprint + 12 <= m.budget,
      (m) => {
        const pm = pick(m.procs, who);
        const [path, pages] = pick([...m.files], file);
        const ps = m.k.PAGE_SIZE;
        const buf = mapAnon(pm.p, pages);
        pm.regions.push({ va: buf, pages, file: null, shared: false, locked: false, anon: pages });
        m.footprint += pages;
        inProcess(m, pm, () => {
          const fd = pm.p.sys.open(path, O_RDWR);
          expect(fd).toBeGreaterThanOrEqual(0);
          expect(pm.p.sys.read(fd, buf, pages * ps)).toBe(pages * ps);
          expect(pm.p.sys.close(fd)).toBe(0);
        });
      },
    ),
  ),
  fc
    .record({ who: fc.nat(), file: fc.nat(), writes: fc.integer({ min: 0, max: 6 }) })
    .map(({ who, file, writes }) =>
      command(
        `mmap shared file, ${writes} writes`,
        (m) => procCount(m) && m.files.size > 0,
        (m) => {
          const pm = pick(m.procs, who);
          const [path, pages] = pick([...m.files], file);
          const ps = m.k.PAGE_SIZE;
          const fd = pm.p.sys.open(path, O_RDWR);
          expect(fd).toBeGreaterThanOrEqual(0);
          const va = pm.p.sys.mmap(0, pages * ps, RW, MAP_SHARED, fd, 0);
          expect(va).toBeGreaterThan(0);
          expect(pm.p.sys.close(fd)).toBe(0);
          pm.regions.push({ va, pages, file: path, shared: true, locked: false, anon: 0 });
          inProcess(m, pm, () => {
            for (let i = 0; i < writes; i++) pm.p.store8(va + (i % pages) * ps + i, 0x5a);
          });
        },
      ),
    ),
  fc.record({ who: fc.nat(), region: fc.nat() }).map(({ who, region }) =>
    command(
      'msync',
      (m) => m.procs.some((pm) => pm.regions.some((r) => r.file !== null)),
      (m) => {
        const withFiles = m.procs.filter((pm) => pm.regions.some((r) => r.file !== null));
        const pm = pick(withFiles, who);
        const r = pick(
          pm.regions.filter((x) => x.file !== null),
          region,
        );
        expect(pm.p.sys.msync(r.va, r.pages * m.k.PAGE_SIZE, MS_SYNC)).toBe(0);
      },
    ),
  ),
  fc.nat().map((file) =>
    command(
      'unlink',
      (m) => m.files.size > 0,
      (m) => {
        const [path] = pick([...m.files], file);
        m.k.vfs.unlink(path);
        m.files.delete(path);
      },
    ),
  ),
  fc
    .record({ reclaimable: fc.boolean(), n: fc.integer({ min: 1, max: 64 }) })
    .map(({ reclaimable, n }) =>
      command(
        `slab alloc ${n}${reclaimable ? ' reclaimable' : ''}`,
        () => true,
        (m) => {
          const cache = m.caches[reclaimable ? 0 : 1];
          for (let i = 0; i < n; i++) {
            const obj = m.k.kmemCacheAlloc(cache, GFP_KERNEL);
            if (obj !== null) m.objs.push({ cache, obj });
          }
        },
      ),
    ),
  fc.record({ n: fc.integer({ min: 1, max: 64 }), from: fc.nat() }).map(({ n, from }) =>
    command(
      `slab free ${n}`,
      (m) => m.objs.length > 0,
      (m) => {
        const start = from % m.objs.length;
        for (const { cache, obj } of m.objs.splice(start, n)) m.k.kmemCacheFree(cache, obj);
      },
    ),
  ),
  fc
    .record({ size: fc.integer({ min: 1, max: 3000 }), rcl: fc.boolean(), free: fc.boolean() })
    .map(({ size, rcl, free }) =>
      command(
        free ? 'kfree' : `kmalloc(${size}${rcl ? ', reclaimable' : ''})`,
        (m) => !free || m.kmallocs.length > 0,
        (m) => {
          if (free) {
            m.k.kfree(m.kmallocs.pop() ?? null);
            return;
          }
          const ptr = m.k.kmalloc(size, GFP_KERNEL | (rcl ? __GFP_RECLAIMABLE : 0));
          if (ptr !== null) m.kmallocs.push(ptr);
        },
      ),
    ),
  fc.boolean().map((kswapd) =>
    command(
      kswapd ? 'kswapd' : 'drainAllPages',
      () => true,
      (m) => {
        if (kswapd) m.k.kswapd();
        else m.k.drainAllPages();
      },
    ),
  ),
];

describe('/proc stays consistent over random sequences of operations', () => {
  it('checks every rule after every step, and ends as it booted', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ArchName>('x86_64', 'i386', 'arm64-16k'),
        fc.commands(commandArbs, { maxCommands: 30, size: 'max' }),
        (arch, cmds) => {
          const machine = bootMachine({ arch, memory: '4M', swap: { size: '8M' } });
          const { k } = machine;
          const ram = pagesOf(machine.boot, k, 'MemTotal');
          const swap = pagesOf(machine.boot, k, 'SwapTotal');
          const model: Model = {
            k,
            ram,
            procs: [{ p: k.spawn({ name: 'init' }), regions: [] }],
            files: new Map(),
            nextFile: 0,
            caches: [
              k.kmemCacheCreate('mi-rcl', 192, { flags: SLAB_RECLAIM_ACCOUNT }),
              k.kmemCacheCreate('mi-plain', 192),
            ],
            objs: [],
            kmallocs: [],
            footprint: 0,
            locked: 0,
            budget: Math.floor(ram * 0.25 + swap * 0.5),
          };
          fc.modelRun(() => ({ model, real: {} }), cmds);
          // Everything goes; the files read as at boot.
          for (const pm of model.procs) pm.p.exit();
          model.procs = [];
          for (const path of model.files.keys()) k.vfs.unlink(path);
          for (const { cache, obj } of model.objs) k.kmemCacheFree(cache, obj);
          for (const ptr of model.kmallocs) k.kfree(ptr);
          for (const cache of model.caches) k.kmemCacheDestroy(cache);
          expectBootState(machine);
        },
      ),
      { numRuns: 30 },
    );
  });
});

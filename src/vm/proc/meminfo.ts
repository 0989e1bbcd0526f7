/**
 * `/proc/meminfo`: the system-wide memory summary, and the two estimates
 * behind two of its lines, MemAvailable (`si_mem_available`) and the
 * reserve it subtracts (`calculate_totalreserve_pages`).
 *
 * The renderer is pure: it prints a {@link MeminfoValues} record that the
 * caller has gathered from the VM's counters, in the format of
 * `meminfo_proc_show` in fs/proc/meminfo.c of Linux 6.18, followed by
 * `hugetlb_report_meminfo` (mm/hugetlb.c) and x86's `arch_report_meminfo`
 * (arch/x86/mm/pat/set_memory.c). Nearly every line is `show_val_kb`, that
 * is `seq_put_decimal_ull_width(m, label, kB, 8)` and then `" kB\n"`, with
 * a label 16 characters wide colon and spaces included:
 *
 * ```
 * MemTotal:       24684096 kB
 * VmallocTotal:   34359738367 kB      (wider numbers push the unit right)
 * HugePages_Total:       0            ("HugePages_Total:   %5lu", no unit)
 * Hugepagesize:       2048 kB
 * DirectMap1G:    25165824 kB
 * ```
 *
 * Lines that depend on the kernel configuration, and how this module
 * treats them:
 *
 * - HighTotal, HighFree, LowTotal, LowFree (CONFIG_HIGHMEM, i386): printed
 *   after Mlocked and before SwapTotal when all four fields are given.
 * - Zswap and Zswapped (CONFIG_ZSWAP), the five THP lines from
 *   AnonHugePages to FilePmdMapped (CONFIG_TRANSPARENT_HUGEPAGE) and
 *   Balloon (unconditional): always printed, as on the 6.18
 *   x86_64 machine of test/fixtures/linux-6.18/meminfo.
 * - HugePages_Total, _Free, _Rsvd, _Surp, Hugepagesize and Hugetlb
 *   (CONFIG_HUGETLB_PAGE and `hugepages_supported()`): printed when all six
 *   fields are given, left out when none is.
 * - DirectMap4k, DirectMap2M (x86_64 and PAE) or DirectMap4M (i386 without
 *   PAE), DirectMap1G (when the direct map uses 1 GiB pages): x86 only,
 *   each printed when given.
 * - Not rendered at all: lines of options the fixture's kernel lacks and
 *   mmsim does not simulate: MmapCopy (no MMU), ShadowCallStack (arm64
 *   CONFIG_SHADOW_CALL_STACK), EarlyMemtestBad (memtest found bad RAM),
 *   HardwareCorrupted (CONFIG_MEMORY_FAILURE), CmaTotal and CmaFree
 *   (CONFIG_CMA), Unaccepted (CONFIG_UNACCEPTED_MEMORY).
 *
 * A record that Linux could not print (a negative or fractional value, half
 * of a group) is rejected with a {@link KernelBug} before anything is
 * rendered.
 */
import { KernelBug } from '../../page/errors.js';
import { describeValue } from '../../page/validate.js';

/**
 * The numbers of `/proc/meminfo`, one field per line, in the order Linux
 * prints them. Every value is in KiB (the page counts already multiplied
 * by the page size in KiB, as `show_val_kb` does with `K()`) except the
 * four `hugePages*` fields, which count huge pages.
 *
 * Counterpart: the locals and `global_*_page_state` reads of
 * `meminfo_proc_show` (fs/proc/meminfo.c, Linux 6.18).
 */
export interface MeminfoValues {
  /** `MemTotal`: `totalram_pages()`, the managed pages of all zones. */
  memTotal: number;
  /** `MemFree`: NR_FREE_PAGES. */
  memFree: number;
  /** `MemAvailable`: {@link siMemAvailable}, converted to KiB. */
  memAvailable: number;
  /** `Buffers`: `nr_blockdev_pages()`, the page cache of block devices. */
  buffers: number;
  /** `Cached`: NR_FILE_PAGES less SwapCached and Buffers, at least 0. */
  cached: number;
  /** `SwapCached`: `total_swapcache_pages()`. */
  swapCached: number;
  /** `Active`: Active(anon) plus Active(file). */
  active: number;
  /** `Inactive`: Inactive(anon) plus Inactive(file). */
  inactive: number;
  /** `Active(anon)`: NR_ACTIVE_ANON. */
  activeAnon: number;
  /** `Inactive(anon)`: NR_INACTIVE_ANON. */
  inactiveAnon: number;
  /** `Active(file)`: NR_ACTIVE_FILE. */
  activeFile: number;
  /** `Inactive(file)`: NR_INACTIVE_FILE. */
  inactiveFile: number;
  /** `Unevictable`: NR_UNEVICTABLE. */
  unevictable: number;
  /** `Mlocked`: NR_MLOCK. */
  mlocked: number;
  /** `HighTotal` (CONFIG_HIGHMEM): `totalhigh_pages()`. Give all four High/Low fields or none. */
  highTotal?: number;
  /** `HighFree` (CONFIG_HIGHMEM): `nr_free_highpages()`. */
  highFree?: number;
  /** `LowTotal` (CONFIG_HIGHMEM): MemTotal less HighTotal. */
  lowTotal?: number;
  /** `LowFree` (CONFIG_HIGHMEM): MemFree less HighFree. */
  lowFree?: number;
  /** `SwapTotal`: `si_swapinfo` total swap. */
  swapTotal: number;
  /** `SwapFree`: `si_swapinfo` free swap. */
  swapFree: number;
  /** `Zswap`: `zswap_total_pages()`, the compressed pool. */
  zswap: number;
  /** `Zswapped`: `zswap_stored_pages`, what the pool holds uncompressed. */
  zswapped: number;
  /** `Dirty`: NR_FILE_DIRTY. */
  dirty: number;
  /** `Writeback`: NR_WRITEBACK. */
  writeback: number;
  /** `AnonPages`: NR_ANON_MAPPED. */
  anonPages: number;
  /** `Mapped`: NR_FILE_MAPPED. */
  mapped: number;
  /** `Shmem`: NR_SHMEM. */
  shmem: number;
  /** `KReclaimable`: SReclaimable plus NR_KERNEL_MISC_RECLAIMABLE. */
  kReclaimable: number;
  /** `Slab`: SReclaimable plus SUnreclaim. */
  slab: number;
  /** `SReclaimable`: NR_SLAB_RECLAIMABLE_B in pages. */
  sReclaimable: number;
  /** `SUnreclaim`: NR_SLAB_UNRECLAIMABLE_B in pages. */
  sUnreclaim: number;
  /** `KernelStack`: NR_KERNEL_STACK_KB (already in KiB in Linux). */
  kernelStack: number;
  /** `PageTables`: NR_PAGETABLE. */
  pageTables: number;
  /** `SecPageTables`: NR_SECONDARY_PAGETABLE (KVM/IOMMU tables). */
  secPageTables: number;
  /** `NFS_Unstable`: always 0 (Linux 6.x prints a constant). */
  nfsUnstable: number;
  /** `Bounce`: NR_BOUNCE. */
  bounce: number;
  /** `WritebackTmp`: NR_WRITEBACK_TEMP. */
  writebackTmp: number;
  /**
   * `CommitLimit`: `vm_commit_limit()`. A bigint when it exceeds what a
   * number holds exactly (a negative `vm.overcommit_ratio` wraps it near
   * 2**64, as on Linux).
   */
  commitLimit: number | bigint;
  /** `Committed_AS`: `vm_committed_as`. */
  committedAs: number;
  /** `VmallocTotal`: `VMALLOC_TOTAL >> 10`. */
  vmallocTotal: number;
  /** `VmallocUsed`: `vmalloc_nr_pages()`. */
  vmallocUsed: number;
  /** `VmallocChunk`: always 0 (Linux 6.x prints a constant). */
  vmallocChunk: number;
  /** `Percpu`: `pcpu_nr_pages()`. */
  percpu: number;
  /** `AnonHugePages`: NR_ANON_THPS. */
  anonHugePages: number;
  /** `ShmemHugePages`: NR_SHMEM_THPS. */
  shmemHugePages: number;
  /** `ShmemPmdMapped`: NR_SHMEM_PMDMAPPED. */
  shmemPmdMapped: number;
  /** `FileHugePages`: NR_FILE_THPS. */
  fileHugePages: number;
  /** `FilePmdMapped`: NR_FILE_PMDMAPPED. */
  filePmdMapped: number;
  /** `Balloon`: NR_BALLOON_PAGES. */
  balloon: number;
  /** `HugePages_Total` (hugetlb): pages of the default hstate, a count. Give all six hugetlb fields or none. */
  hugePagesTotal?: number;
  /** `HugePages_Free` (hugetlb): a count. */
  hugePagesFree?: number;
  /** `HugePages_Rsvd` (hugetlb): a count. */
  hugePagesRsvd?: number;
  /** `HugePages_Surp` (hugetlb): a count. */
  hugePagesSurp?: number;
  /** `Hugepagesize` (hugetlb): the default huge page size in KiB. */
  hugepagesize?: number;
  /** `Hugetlb` (hugetlb): the memory of all hstates' huge pages, in KiB. */
  hugetlb?: number;
  /** `DirectMap4k` (x86): direct map covered by 4 KiB pages. */
  directMap4k?: number;
  /** `DirectMap2M` (x86_64, i386 with PAE): direct map covered by 2 MiB pages. */
  directMap2M?: number;
  /** `DirectMap4M` (i386 without PAE): direct map covered by 4 MiB pages. */
  directMap4M?: number;
  /** `DirectMap1G` (x86_64 with 1 GiB pages): direct map covered by 1 GiB pages. */
  directMap1G?: number;
}

type Field = keyof MeminfoValues;

/** The `show_val_kb` lines before the HIGHMEM block. */
const HEAD: readonly (readonly [string, Field])[] = [
  ['MemTotal:', 'memTotal'],
  ['MemFree:', 'memFree'],
  ['MemAvailable:', 'memAvailable'],
  ['Buffers:', 'buffers'],
  ['Cached:', 'cached'],
  ['SwapCached:', 'swapCached'],
  ['Active:', 'active'],
  ['Inactive:', 'inactive'],
  ['Active(anon):', 'activeAnon'],
  ['Inactive(anon):', 'inactiveAnon'],
  ['Active(file):', 'activeFile'],
  ['Inactive(file):', 'inactiveFile'],
  ['Unevictable:', 'unevictable'],
  ['Mlocked:', 'mlocked'],
];

/** The CONFIG_HIGHMEM block. */
const HIGHMEM: readonly (readonly [string, Field])[] = [
  ['HighTotal:', 'highTotal'],
  ['HighFree:', 'highFree'],
  ['LowTotal:', 'lowTotal'],
  ['LowFree:', 'lowFree'],
];

/** From SwapTotal to Balloon, the lines every configuration mmsim models prints. */
const BODY: readonly (readonly [string, Field])[] = [
  ['SwapTotal:', 'swapTotal'],
  ['SwapFree:', 'swapFree'],
  ['Zswap:', 'zswap'],
  ['Zswapped:', 'zswapped'],
  ['Dirty:', 'dirty'],
  ['Writeback:', 'writeback'],
  ['AnonPages:', 'anonPages'],
  ['Mapped:', 'mapped'],
  ['Shmem:', 'shmem'],
  ['KReclaimable:', 'kReclaimable'],
  ['Slab:', 'slab'],
  ['SReclaimable:', 'sReclaimable'],
  ['SUnreclaim:', 'sUnreclaim'],
  ['KernelStack:', 'kernelStack'],
  ['PageTables:', 'pageTables'],
  ['SecPageTables:', 'secPageTables'],
  ['NFS_Unstable:', 'nfsUnstable'],
  ['Bounce:', 'bounce'],
  ['WritebackTmp:', 'writebackTmp'],
  ['CommitLimit:', 'commitLimit'],
  ['Committed_AS:', 'committedAs'],
  ['VmallocTotal:', 'vmallocTotal'],
  ['VmallocUsed:', 'vmallocUsed'],
  ['VmallocChunk:', 'vmallocChunk'],
  ['Percpu:', 'percpu'],
  ['AnonHugePages:', 'anonHugePages'],
  ['ShmemHugePages:', 'shmemHugePages'],
  ['ShmemPmdMapped:', 'shmemPmdMapped'],
  ['FileHugePages:', 'fileHugePages'],
  ['FilePmdMapped:', 'filePmdMapped'],
  ['Balloon:', 'balloon'],
];

/** `hugetlb_report_meminfo`'s counts: `"HugePages_Total:   %5lu\n"` and the like. */
const HUGETLB_COUNTS: readonly (readonly [string, Field])[] = [
  ['HugePages_Total:', 'hugePagesTotal'],
  ['HugePages_Free:', 'hugePagesFree'],
  ['HugePages_Rsvd:', 'hugePagesRsvd'],
  ['HugePages_Surp:', 'hugePagesSurp'],
];

/** `hugetlb_report_meminfo`'s sizes, `%8lu kB` after a 16-wide label. */
const HUGETLB_SIZES: readonly (readonly [string, Field])[] = [
  ['Hugepagesize:', 'hugepagesize'],
  ['Hugetlb:', 'hugetlb'],
];

/** x86 `arch_report_meminfo`, in its order. */
const DIRECT_MAP: readonly (readonly [string, Field])[] = [
  ['DirectMap4k:', 'directMap4k'],
  ['DirectMap2M:', 'directMap2M'],
  ['DirectMap4M:', 'directMap4M'],
  ['DirectMap1G:', 'directMap1G'],
];

/** Every line, for validation. */
const ALL_LINES = [
  ...HEAD,
  ...HIGHMEM,
  ...BODY,
  ...HUGETLB_COUNTS,
  ...HUGETLB_SIZES,
  ...DIRECT_MAP,
];

/** Width of every label: `"MemTotal:       "` is 16 characters. */
const LABEL_WIDTH = 16;

/** Throws unless `n` is what an `unsigned long` can hold (a non-negative safe integer, or a bigint below 2**64). */
function checkCount(fn: string, name: string, n: number | bigint, unit: string): void {
  const ok = typeof n === 'bigint' ? n >= 0n && n < 2n ** 64n : Number.isSafeInteger(n) && n >= 0;
  if (!ok) {
    throw new KernelBug(
      `${fn}: ${name} is ${describeValue(n)}, expected a non-negative integer (${unit})`,
    );
  }
}

/** `show_val_kb`: the label padded to 16, the number right-aligned in 8, then ` kB`. */
function kbLine(label: string, kB: number | bigint): string {
  return `${label.padEnd(LABEL_WIDTH)}${String(kB).padStart(8)} kB\n`;
}

/** Throws unless the fields of `group` are all given or all absent; returns whether given. */
function groupPresent(v: MeminfoValues, group: readonly (readonly [string, Field])[]): boolean {
  const given = group.filter(([, field]) => v[field] !== undefined).map(([, field]) => field);
  if (given.length !== 0 && given.length !== group.length) {
    const missing = group.map(([, field]) => field).filter((f) => !given.includes(f));
    throw new KernelBug(
      `renderMeminfo: ${given.join(', ')} given without ${missing.join(', ')}; Linux prints the group whole or not at all`,
    );
  }
  return given.length !== 0;
}

/** Renders the lines of `table` whose fields are given. */
function lines(v: MeminfoValues, table: readonly (readonly [string, Field])[]): string {
  let out = '';
  for (const [label, field] of table) {
    const n = v[field];
    if (n !== undefined) out += kbLine(label, n);
  }
  return out;
}

/**
 * Renders `/proc/meminfo` from `v`, byte for byte as Linux 6.18 prints it
 * on x86_64; leave out the optional groups for the i386 and arm64 layouts
 * (no DirectMap lines on arm64, HighTotal..LowFree only on i386).
 *
 * Counterpart: `meminfo_proc_show` and `show_val_kb` in fs/proc/meminfo.c,
 * `hugetlb_report_meminfo` in mm/hugetlb.c, `arch_report_meminfo` in
 * arch/x86/mm/pat/set_memory.c (Linux 6.18).
 *
 * Optional lines (see {@link MeminfoValues}): HighTotal..LowFree are
 * printed after Mlocked when all four are given; the six hugetlb lines
 * after Balloon when all six are given; each DirectMap line last when
 * given. Any DirectMap line needs DirectMap4k and exactly one of
 * DirectMap2M and DirectMap4M, as `arch_report_meminfo` always prints
 * those.
 *
 * @param v - the values, in KiB except the four HugePages counts.
 * @returns the file's text.
 * @throws KernelBug when a value is negative, fractional or not a safe
 *   integer, when a group is given in part, or when the DirectMap lines are
 *   not a set x86 prints.
 *
 * @example
 * ```ts
 * renderMeminfo(values).split('\n')[0]; // 'MemTotal:       24684096 kB'
 * ```
 */
export function renderMeminfo(v: MeminfoValues): string {
  for (const [, field] of ALL_LINES) {
    const n = v[field];
    if (n !== undefined) {
      checkCount('renderMeminfo', field, n, field.startsWith('hugePages') ? 'huge pages' : 'kB');
    }
  }
  const highmem = groupPresent(v, HIGHMEM);
  const hugetlb = groupPresent(v, [...HUGETLB_COUNTS, ...HUGETLB_SIZES]);
  const anyDirectMap = DIRECT_MAP.some(([, field]) => v[field] !== undefined);
  if (anyDirectMap) {
    const large = Number(v.directMap2M !== undefined) + Number(v.directMap4M !== undefined);
    if (v.directMap4k === undefined || large !== 1) {
      throw new KernelBug(
        'renderMeminfo: the DirectMap lines need directMap4k and exactly one of directMap2M (x86_64, PAE) and directMap4M (i386 without PAE)',
      );
    }
  }
  let out = lines(v, HEAD);
  if (highmem) out += lines(v, HIGHMEM);
  out += lines(v, BODY);
  if (hugetlb) {
    for (const [label, field] of HUGETLB_COUNTS) {
      out += `${label.padEnd(LABEL_WIDTH)}   ${String(v[field]).padStart(5)}\n`;
    }
    out += lines(v, HUGETLB_SIZES);
  }
  out += lines(v, DIRECT_MAP);
  return out;
}

/** The counters {@link siMemAvailable} reads, all in pages. */
export interface MemAvailableInput {
  /** NR_FREE_PAGES over all zones. */
  free: number;
  /** `totalreserve_pages`: {@link totalReservePages} of the zones. */
  totalReservePages: number;
  /**
   * The sum over all zones of `low_wmark_pages(zone)`, the low watermark
   * plus `watermark_boost`.
   */
  wmarkLow: number;
  /** NR_ACTIVE_FILE. */
  activeFile: number;
  /** NR_INACTIVE_FILE. */
  inactiveFile: number;
  /** NR_SLAB_RECLAIMABLE_B, in pages. */
  sReclaimable: number;
  /** NR_KERNEL_MISC_RECLAIMABLE. */
  kernelMiscReclaimable: number;
}

const MEM_AVAILABLE_KEYS: readonly (keyof MemAvailableInput)[] = [
  'free',
  'totalReservePages',
  'wmarkLow',
  'activeFile',
  'inactiveFile',
  'sReclaimable',
  'kernelMiscReclaimable',
];

/**
 * Estimates the memory available for new user allocations without
 * swapping, in pages: the free pages above the reserve, plus the page
 * cache and the reclaimable kernel memory less what must stay (half of
 * each, or the low watermark if that is less), never below 0.
 *
 * Counterpart: `si_mem_available` in mm/show_mem.c of Linux 6.18:
 *
 * ```
 * available   = free - totalreserve
 * pagecache   = active_file + inactive_file
 * available  += pagecache - min(pagecache / 2, wmark_low)
 * reclaimable = slab_reclaimable + kernel_misc_reclaimable
 * available  += reclaimable - min(reclaimable / 2, wmark_low)
 * return max(available, 0)
 * ```
 *
 * The halvings are C's unsigned division (rounding down).
 *
 * @param input - the counters, in pages.
 * @returns MemAvailable in pages (multiply by the page size in KiB for
 *   /proc/meminfo).
 * @throws KernelBug when a counter is negative, fractional or not a safe
 *   integer.
 */
export function siMemAvailable(input: MemAvailableInput): number {
  if (typeof input !== 'object' || input === null) {
    throw new KernelBug(`siMemAvailable: input ${describeValue(input)} is not an object`);
  }
  for (const key of MEM_AVAILABLE_KEYS) checkCount('siMemAvailable', key, input[key], 'pages');
  const { wmarkLow } = input;
  let available = input.free - input.totalReservePages;
  const pagecache = input.activeFile + input.inactiveFile;
  available += pagecache - Math.min(Math.floor(pagecache / 2), wmarkLow);
  const reclaimable = input.sReclaimable + input.kernelMiscReclaimable;
  available += reclaimable - Math.min(Math.floor(reclaimable / 2), wmarkLow);
  return Math.max(available, 0);
}

/** What {@link totalReservePages} reads of one zone, in pages. */
export interface ReserveZone {
  /** `high_wmark_pages(zone)`: the high watermark plus `watermark_boost`. */
  high: number;
  /**
   * `zone->lowmem_reserve[]`: the pages this zone keeps back from
   * allocations that could have used each higher zone.
   */
  lowmemReserve: readonly number[];
  /** `zone_managed_pages(zone)`. */
  managed: number;
}

/**
 * The pages the page allocator keeps out of reach of user allocations,
 * which MemAvailable subtracts: per zone, its largest lowmem reserve plus
 * its high watermark, capped at its managed pages; summed over the zones.
 *
 * Counterpart: `calculate_totalreserve_pages` in mm/page_alloc.c of Linux
 * 6.18. Linux scans `lowmem_reserve[j]` for `j` from the
 * zone's own index up; the entries below it are always 0, so the largest
 * entry of the whole array (or 0 when it is empty) is the same value.
 *
 * @param zones - every zone of the node, populated or not.
 * @returns `totalreserve_pages`, in pages.
 * @throws KernelBug when a value is negative, fractional or not a safe
 *   integer.
 */
export function totalReservePages(zones: readonly ReserveZone[]): number {
  let total = 0;
  zones.forEach((zone, i) => {
    checkCount('totalReservePages', `zones[${i}].high`, zone.high, 'pages');
    checkCount('totalReservePages', `zones[${i}].managed`, zone.managed, 'pages');
    zone.lowmemReserve.forEach((r, j) => {
      checkCount('totalReservePages', `zones[${i}].lowmemReserve[${j}]`, r, 'pages');
    });
  });
  for (const zone of zones) {
    let max = 0;
    for (const r of zone.lowmemReserve) if (r > max) max = r;
    max += zone.high;
    total += Math.min(max, zone.managed);
  }
  return total;
}

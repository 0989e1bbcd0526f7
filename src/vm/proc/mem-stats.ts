/**
 * The machine-wide memory state behind /proc/meminfo and /proc/vmstat:
 * the `global_node_page_state` and `global_zone_page_state` items of
 * include/linux/mmzone.h, gathered from where mmsim keeps them.
 *
 * Most come from counters kept as pages change state (free pages, LRU
 * sizes, the page cache, the swap cache, swap slots, page tables). The
 * page-state items Linux updates at each map and unmap (NR_ANON_MAPPED,
 * NR_FILE_MAPPED) are counted here by walking the LRU lists, which costs
 * O(pages on the lists) per read of /proc and nothing on the paths that
 * map pages.
 */
import type { BuddyAllocator, PageStatSnapshot } from '../../buddy/buddy-allocator.js';
import type { Zone } from '../../buddy/zone.js';
import { PG } from '../../page/page-flags.js';
import type { KmemCache } from '../../slab/kmem-cache.js';
import { SLAB_RECLAIM_ACCOUNT } from '../../slab/slab-flags.js';
import { existingPageCache } from '../fs/page-cache.js';
import { commitLimitPages, committedPages } from '../overcommit.js';
import {
  LRU_ACTIVE_ANON,
  LRU_ACTIVE_FILE,
  LRU_INACTIVE_ANON,
  LRU_INACTIVE_FILE,
  LRU_NAMES,
  LRU_UNEVICTABLE,
  NR_LRU_LISTS,
} from '../reclaim/lru.js';
import type { SwapSystem } from '../reclaim/swap.js';
import { vmTunables } from '../syscalls/vma-ops.js';
import type { VmSystem } from '../vm-system.js';
import { type MeminfoValues, siMemAvailable, totalReservePages } from './meminfo.js';

/** What the statistics are read from. */
export interface MemStatsSources {
  readonly buddy: BuddyAllocator;
  readonly vm: VmSystem;
  readonly caches: readonly KmemCache[];
  readonly swap: SwapSystem | null;
}

/** Machine-wide page counts (`global_node_page_state` and friends), in pages. */
export interface MemStats {
  readonly totalram: number;
  readonly free: number;
  readonly lru: readonly number[];
  readonly anonMapped: number;
  readonly fileMapped: number;
  readonly filePages: number;
  readonly shmem: number;
  readonly dirty: number;
  readonly swapCached: number;
  readonly swapTotal: number;
  readonly swapFree: number;
  readonly slabReclaimable: number;
  readonly slabUnreclaimable: number;
  readonly pageTables: number;
  readonly committed: number;
  readonly highTotal: number;
  readonly highFree: number;
  readonly mlocked: number;
}

/** Reads the machine's page counts. */
export function memStats(src: MemStatsSources): MemStats {
  const { buddy, vm, swap } = src;
  const m = buddy.memMap;
  const lru = vm.lru;
  let anonMapped = 0;
  let fileMapped = 0;
  for (let l = 0; l < LRU_UNEVICTABLE; l++) {
    for (let pfn = lru.head[l] as number; pfn !== -1; pfn = m.next[pfn] as number) {
      if ((m.mapcount[pfn] as number) > 0) {
        if (m.testFlag(pfn, PG.anon)) anonMapped++;
        else fileMapped++;
      }
    }
  }
  // The unevictable list is a count, not a chain: its pages are mlocked,
  // so mapped (checkInvariants holds that), anonymous or not by PG_anon.
  const unevictable = lru.size[LRU_UNEVICTABLE] as number;
  anonMapped += lru.unevictableAnon;
  fileMapped += unevictable - lru.unevictableAnon;
  const mlocked = vm.mlock.total;
  let shmem = 0;
  for (const obj of vm.shmemObjects.values()) shmem += obj.pages.size;
  const cache = vm.vfs === null ? null : existingPageCache(vm.vfs);
  let slabReclaimable = 0;
  let slabUnreclaimable = 0;
  for (const c of src.caches) {
    const info = c.slabinfo();
    const pages = info.numSlabs * 2 ** info.cacheOrder;
    if ((c.flags & SLAB_RECLAIM_ACCOUNT) !== 0) slabReclaimable += pages;
    else slabUnreclaimable += pages;
  }
  let pageTables = vm.initMm.counters.pgtables;
  for (const mm of vm.addressSpaces) pageTables += mm.counters.pgtables;
  const committed = committedPages(vm);
  let totalram = 0;
  let highTotal = 0;
  let highFree = 0;
  for (const zone of buddy.zones) {
    totalram += zone.managed;
    if (zone.name === 'HighMem') {
      highTotal += zone.managed;
      highFree += zone.freePages;
    }
  }
  const swapCached = swap?.cachedPages ?? 0;
  return {
    totalram,
    free: buddy.nrFreePages(),
    lru: Array.from(lru.size),
    anonMapped,
    fileMapped,
    // NR_FILE_PAGES: the page cache, shmem and the swap cache.
    filePages: (cache?.nrPages ?? 0) + shmem + swapCached,
    shmem,
    dirty: cache?.nrDirty ?? 0,
    swapCached,
    swapTotal: swap?.area.total ?? 0,
    swapFree: swap?.area.free ?? 0,
    slabReclaimable,
    slabUnreclaimable,
    pageTables,
    committed,
    highTotal,
    highFree,
    mlocked,
  };
}

/** The PMD (huge page) size of the architecture, in KiB (`HPAGE_PMD_SIZE`). */
function hugepageKib(vm: VmSystem): number {
  const pageSize = vm.arch.pageSize;
  if (vm.arch.name === 'i386') return 4096; // a 4 MiB PDE without PAE
  return (pageSize * (pageSize / 8)) / 1024; // a table of 8-byte entries per PMD entry
}

/** `VMALLOC_TOTAL` in KiB for the architectures mmsim models. */
function vmallocTotalKib(vm: VmSystem): number {
  switch (vm.arch.name) {
    case 'x86_64':
      return 34359738367; // 32 TiB, less a page (VMALLOC_END is inclusive)
    case 'i386':
      return 122880; // 120 MiB between lowmem and the fixmap with a 3G/1G split
    default:
      return 0; // not modelled for arm64: no vmalloc area is simulated
  }
}

/**
 * The record `renderMeminfo` prints, computed as `meminfo_proc_show` and
 * `si_mem_available` compute it.
 */
export function meminfoValues(src: MemStatsSources): MeminfoValues {
  const s = memStats(src);
  const { buddy, vm } = src;
  const kib = vm.arch.pageSize / 1024;
  const k = (pages: number): number => pages * kib;
  let wmarkLow = 0;
  for (const zone of buddy.zones) wmarkLow += zone.low;
  const available = siMemAvailable({
    free: s.free,
    totalReservePages: totalReservePages(buddy.zones),
    wmarkLow,
    activeFile: s.lru[LRU_ACTIVE_FILE] as number,
    inactiveFile: s.lru[LRU_INACTIVE_FILE] as number,
    sReclaimable: s.slabReclaimable,
    kernelMiscReclaimable: 0,
  });
  const activeAnon = s.lru[LRU_ACTIVE_ANON] as number;
  const inactiveAnon = s.lru[LRU_INACTIVE_ANON] as number;
  const activeFile = s.lru[LRU_ACTIVE_FILE] as number;
  const inactiveFile = s.lru[LRU_INACTIVE_FILE] as number;
  const x86 = vm.arch.name === 'x86_64' || vm.arch.name === 'i386';
  const directMapped = Math.min(
    buddy.memory.size,
    vm.arch.name === 'i386' ? 896 * 2 ** 20 : Infinity,
  );
  const block = vm.arch.name === 'i386' ? 4 * 2 ** 20 : 2 * 2 ** 20;
  const inBlocks = Math.floor(directMapped / block) * block;
  const hugepagesize = hugepageKib(vm);
  const v: MeminfoValues = {
    memTotal: k(s.totalram),
    memFree: k(s.free),
    memAvailable: k(available),
    buffers: 0,
    cached: k(Math.max(0, s.filePages - s.swapCached)),
    swapCached: k(s.swapCached),
    active: k(activeAnon + activeFile),
    inactive: k(inactiveAnon + inactiveFile),
    activeAnon: k(activeAnon),
    inactiveAnon: k(inactiveAnon),
    activeFile: k(activeFile),
    inactiveFile: k(inactiveFile),
    unevictable: k(s.lru[LRU_UNEVICTABLE] as number),
    mlocked: k(s.mlocked),
    swapTotal: k(s.swapTotal),
    swapFree: k(s.swapFree),
    zswap: 0,
    zswapped: 0,
    dirty: k(s.dirty),
    writeback: 0,
    anonPages: k(s.anonMapped),
    mapped: k(s.fileMapped),
    shmem: k(s.shmem),
    kReclaimable: k(s.slabReclaimable),
    slab: k(s.slabReclaimable + s.slabUnreclaimable),
    sReclaimable: k(s.slabReclaimable),
    sUnreclaim: k(s.slabUnreclaimable),
    kernelStack: 0,
    pageTables: k(s.pageTables),
    secPageTables: 0,
    nfsUnstable: 0,
    bounce: 0,
    writebackTmp: 0,
    // `show_val_kb` shifts the unsigned long, wrapping as it does.
    commitLimit: BigInt.asUintN(64, commitLimitPages(vm, vmTunables(vm)) * BigInt(kib)),
    committedAs: k(s.committed),
    vmallocTotal: vmallocTotalKib(vm),
    vmallocUsed: 0,
    vmallocChunk: 0,
    percpu: 0,
    anonHugePages: 0,
    shmemHugePages: 0,
    shmemPmdMapped: 0,
    fileHugePages: 0,
    filePmdMapped: 0,
    balloon: 0,
    hugePagesTotal: 0,
    hugePagesFree: 0,
    hugePagesRsvd: 0,
    hugePagesSurp: 0,
    hugepagesize,
    hugetlb: 0,
  };
  if (s.highTotal > 0) {
    v.highTotal = k(s.highTotal);
    v.highFree = k(s.highFree);
    v.lowTotal = k(s.totalram - s.highTotal);
    v.lowFree = k(s.free - s.highFree);
  }
  if (x86) {
    v.directMap4k = (directMapped - inBlocks) / 1024;
    if (vm.arch.name === 'i386') v.directMap4M = inBlocks / 1024;
    else v.directMap2M = inBlocks / 1024;
  }
  return v;
}

/** The page-state items (`enum node_stat_item` and the LRU zone items) as a map. */
function pageStateItems(src: MemStatsSources, s: MemStats): Map<string, number> {
  const { buddy, vm } = src;
  const gauges = new Map<string, number>([
    ['nr_free_pages', s.free],
    ['nr_inactive_anon', s.lru[LRU_INACTIVE_ANON] as number],
    ['nr_active_anon', s.lru[LRU_ACTIVE_ANON] as number],
    ['nr_inactive_file', s.lru[LRU_INACTIVE_FILE] as number],
    ['nr_active_file', s.lru[LRU_ACTIVE_FILE] as number],
    ['nr_unevictable', s.lru[LRU_UNEVICTABLE] as number],
    ['nr_mlock', s.mlocked],
    ['nr_slab_reclaimable', s.slabReclaimable],
    ['nr_slab_unreclaimable', s.slabUnreclaimable],
    ['nr_anon_pages', s.anonMapped],
    ['nr_mapped', s.fileMapped],
    ['nr_file_pages', s.filePages],
    ['nr_dirty', s.dirty],
    ['nr_shmem', s.shmem],
    ['nr_page_table_pages', s.pageTables],
    ['nr_swapcached', s.swapCached],
    ['nr_memmap_boot_pages', Math.ceil(buddy.memMap.bytes / vm.arch.pageSize)],
  ]);
  for (let l = 0; l < NR_LRU_LISTS; l++) gauges.set(`nr_zone_${LRU_NAMES[l]}`, s.lru[l] as number);
  return gauges;
}

/**
 * The value of each /proc/vmstat item: event counters from the machine's
 * `VmEvents`, page-state items from {@link memStats}; items mmsim does not
 * model read 0.
 */
export function vmstatValues(src: MemStatsSources): (name: string) => number {
  const gauges = pageStateItems(src, memStats(src));
  const events = src.buddy.events;
  return (name) => gauges.get(name) ?? events.get(name);
}

/**
 * The page-state items /proc/zoneinfo prints, per node and per zone (the
 * LRU sizes of each zone), for `BuddyAllocator.pageStats`.
 */
export function pageStatSnapshot(src: MemStatsSources): PageStatSnapshot {
  const gauges = pageStateItems(src, memStats(src));
  const lru = src.vm.lru;
  return {
    node: (item) => (item.startsWith('nr_zone_') ? undefined : gauges.get(item)),
    zone: (zone: Zone, item: string) => {
      if (item === 'nr_mlock') return src.vm.mlock.zoneMlocked[zone.index];
      const l = LRU_NAMES.findIndex((name) => item === `nr_zone_${name}`);
      return l < 0 ? undefined : lru.zoneLruSize(zone.index, l);
    },
  };
}

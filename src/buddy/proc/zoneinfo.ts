/**
 * `/proc/zoneinfo`: every zone of node 0, populated or not, with its
 * counters, watermarks, lowmem reserves and per-CPU page sets.
 *
 * Follows `zoneinfo_show` / `zoneinfo_show_print` in mm/vmstat.c of Linux
 * mainline at commit 00c010e130e58301db2ea0cec1eadc931e1cb8cf (the mm
 * merge of the v6.16 merge window). Its shape:
 *
 * ```
 * Node 0, zone      DMA
 *   per-node stats                  (first populated zone only)
 *       nr_inactive_anon 0
 *       ...
 *   pages free     3840
 *         boost    0
 *         min      11
 *         low      14
 *         high     17
 *         promo    20
 *         spanned  4096
 *         present  4096
 *         managed  4080
 *         cma      0
 *         protection: (0, 209, 209, 209)
 *       nr_free_pages 3840           (zone stat items: populated zones only)
 *       ...
 *   pagesets
 *     cpu: 0
 *               count:    0
 *               high:     0
 *               batch:    1
 *               high_min: 0
 *               high_max: 0
 *   vm stats threshold: 4
 *   node_unreclaimable:  0
 *   start_pfn:           0
 * ```
 *
 * Facts of the format kept from Linux:
 *
 * - Every zone is listed, empty ones too (userspace must see the zones
 *   `lowmem_reserve_ratio` applies to). A zone without present pages
 *   stops after its `protection:` line.
 * - `cma` is printed whatever the configuration (`zone_cma_pages` is 0
 *   without CONFIG_CMA).
 * - `vm stats threshold` (CONFIG_SMP) is printed once per CPU, inside the
 *   page-set loop, at two spaces of indent.
 * - Counter lines are `"\n      %-12s %lu"`: names longer than 12 are not
 *   cut, just followed by one space.
 *
 * The kernel configuration the item lists follow is that of a real Linux
 * 6.18 machine (x86_64, one NUMA node), whose /proc/zoneinfo is kept in
 * test/fixtures/linux-6.18 and compared label by label: CONFIG_NUMA (so the
 * `numa_*` event lines), CONFIG_SMP, CONFIG_SWAP, CONFIG_ZSMALLOC
 * (`nr_zspages`), CONFIG_IOMMU_SUPPORT (`nr_iommu_pages`),
 * CONFIG_NUMA_BALANCING (`pgpromote_*`), CONFIG_HUGETLB_PAGE
 * (`nr_hugetlb`), and none of CONFIG_UNACCEPTED_MEMORY, CONFIG_CMA,
 * CONFIG_SHADOW_CALL_STACK or CONFIG_ZONE_DEVICE (so `protection` has one
 * entry per zone of `buddy.zones`). mm/vmstat.c of 6.16 printed the same
 * lines except `nr_bounce` and `nr_writeback_temp`, which 6.18 dropped.
 *
 * Where the values come from:
 *
 * - `nr_free_pages` is the zone's NR_FREE_PAGES; `nr_free_pages_blocks`
 *   (NR_FREE_PAGES_BLOCKS) is computed from the free lists as Linux counts
 *   it: frames in free blocks of order >= pageblock_order, except on the
 *   Isolate lists; `nr_free_cma` is 0 (no CMA).
 * - The other zone items are per-zone counters that the page allocator
 *   does not keep: the layer above provides what it keeps (the LRU list
 *   sizes per zone) through `buddy.pageStats`; the rest are read from
 *   `buddy.events` under the item's name with Linux's zone suffix
 *   (`nr_mlock_normal`, the suffixes of `pgalloc_<zone>`), and are 0 while
 *   no layer counts them.
 * - The per-node items are node-wide (= system-wide: one node) counters:
 *   `buddy.pageStats` first (LRU sizes, anonymous, file, shmem and swap
 *   cache pages), then `buddy.events` by name; the rest print 0.
 * - `boost` is 0: mmsim does not boost watermarks.
 * - `vm stats threshold` is `calculate_normal_threshold`:
 *   min(125, 2 * fls(cpus) * (1 + fls(managed >> (27 - PAGE_SHIFT)))).
 *   Linux lowers it to `calculate_pressure_threshold` while kswapd runs;
 *   mmsim always prints the normal one.
 * - `node_unreclaimable` is 0: mmsim does not count kswapd failures.
 */

import { MIGRATE_TYPES, MigrateType } from '../../gfp/migratetype.js';
import type { BuddyAllocator, PageStatSnapshot } from '../buddy-allocator.js';
import {
  MAX_ORDER,
  PCP_BATCH,
  PCP_COUNT,
  PCP_HIGH,
  PCP_HIGH_MAX,
  PCP_HIGH_MIN,
  WMARK_PROMO,
  type Zone,
} from '../zone.js';

/** `enum zone_stat_item` names (vmstat_text) for the configuration above. */
export const ZONE_STAT_ITEMS: readonly string[] = [
  'nr_free_pages',
  'nr_free_pages_blocks',
  'nr_zone_inactive_anon',
  'nr_zone_active_anon',
  'nr_zone_inactive_file',
  'nr_zone_active_file',
  'nr_zone_unevictable',
  'nr_zone_write_pending',
  'nr_mlock',
  'nr_zspages',
  'nr_free_cma',
];

/** `enum numa_stat_item` names, printed per zone after the zone items (CONFIG_NUMA). */
export const NUMA_STAT_ITEMS: readonly string[] = [
  'numa_hit',
  'numa_miss',
  'numa_foreign',
  'numa_interleave',
  'numa_local',
  'numa_other',
];

/** `enum node_stat_item` names (vmstat_text) for the configuration above. */
export const NODE_STAT_ITEMS: readonly string[] = [
  'nr_inactive_anon',
  'nr_active_anon',
  'nr_inactive_file',
  'nr_active_file',
  'nr_unevictable',
  'nr_slab_reclaimable',
  'nr_slab_unreclaimable',
  'nr_isolated_anon',
  'nr_isolated_file',
  'workingset_nodes',
  'workingset_refault_anon',
  'workingset_refault_file',
  'workingset_activate_anon',
  'workingset_activate_file',
  'workingset_restore_anon',
  'workingset_restore_file',
  'workingset_nodereclaim',
  'nr_anon_pages',
  'nr_mapped',
  'nr_file_pages',
  'nr_dirty',
  'nr_writeback',
  'nr_shmem',
  'nr_shmem_hugepages',
  'nr_shmem_pmdmapped',
  'nr_file_hugepages',
  'nr_file_pmdmapped',
  'nr_anon_transparent_hugepages',
  'nr_vmscan_write',
  'nr_vmscan_immediate_reclaim',
  'nr_dirtied',
  'nr_written',
  'nr_throttled_written',
  'nr_kernel_misc_reclaimable',
  'nr_foll_pin_acquired',
  'nr_foll_pin_released',
  'nr_kernel_stack',
  'nr_page_table_pages',
  'nr_sec_page_table_pages',
  'nr_iommu_pages',
  'nr_swapcached',
  'pgpromote_success',
  'pgpromote_candidate',
  'pgpromote_candidate_nrl',
  'pgdemote_kswapd',
  'pgdemote_direct',
  'pgdemote_khugepaged',
  'pgdemote_proactive',
  'nr_hugetlb',
  'nr_balloon_pages',
  'nr_kernel_file_pages',
];

/** `fls`: the 1-based index of the highest set bit, 0 for 0. */
function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

/** The suffix Linux gives a zone's per-zone counters (`TEXTS_FOR_ZONES`). */
function zoneSuffix(zone: Zone): string {
  return zone.name === 'HighMem' ? 'high' : zone.name.toLowerCase();
}

/** `"\n      %-12s %lu"`. */
function statLine(name: string, value: number): string {
  return `\n      ${name.padEnd(12)} ${value}`;
}

/** A zone stat item's value (see the file comment for the sources). */
function zoneStat(
  buddy: BuddyAllocator,
  stats: PageStatSnapshot | null,
  zone: Zone,
  item: string,
): number {
  const kept = stats?.zone(zone, item);
  if (kept !== undefined) return kept;
  switch (item) {
    case 'nr_free_pages':
      return zone.freePages;
    case 'nr_free_pages_blocks': {
      let pages = 0;
      for (let order = buddy.pageblockOrder; order <= MAX_ORDER; order++) {
        for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
          if (mt === MigrateType.Isolate) continue;
          pages += (zone.freeCounts[order * MIGRATE_TYPES + mt] as number) * 2 ** order;
        }
      }
      return pages;
    }
    case 'nr_free_cma':
      return 0;
    default:
      return buddy.events.get(`${item}_${zoneSuffix(zone)}`);
  }
}

/**
 * Renders `/proc/zoneinfo` for node 0, exactly as Linux prints it.
 *
 * Every zone of `buddy.zones` is listed in `zone_idx` order, the empty
 * ones in their short form; the per-node statistics go with the first zone
 * that has present pages. Counters mmsim does not model yet print 0; the
 * file comment lists where each value comes from and which kernel
 * configuration the lists of items follow.
 *
 * @param buddy - the page allocator to describe; it is only read.
 * @returns the file's text.
 *
 * @example
 * ```ts
 * const buddy = new BuddyAllocator(new PhysicalMemory(64 * 2 ** 20, 4096), { arch: 'x86_64' });
 * renderZoneinfo(buddy).startsWith('Node 0, zone      DMA\n  per-node stats\n'); // true
 * ```
 */
export function renderZoneinfo(buddy: BuddyAllocator): string {
  const firstPopulated = buddy.zones.find((zone) => zone.present > 0);
  const stats = buddy.pageStats?.() ?? null;
  const pageShift = buddy.arch.pageShift;
  let out = '';
  for (const zone of buddy.zones) {
    out += `Node 0, zone ${zone.name.padStart(8)}`;
    if (zone === firstPopulated) {
      out += '\n  per-node stats';
      for (const item of NODE_STAT_ITEMS)
        out += statLine(item, stats?.node(item) ?? buddy.events.get(item));
    }
    out +=
      `\n  pages free     ${zone.freePages}` +
      '\n        boost    0' +
      `\n        min      ${zone.min}` +
      `\n        low      ${zone.low}` +
      `\n        high     ${zone.high}` +
      `\n        promo    ${zone.watermark[WMARK_PROMO] as number}` +
      `\n        spanned  ${zone.spanned}` +
      `\n        present  ${zone.present}` +
      `\n        managed  ${zone.managed}` +
      '\n        cma      0';
    const protection = buddy.zones.map((z) => zone.lowmemReserve[z.index] ?? 0);
    out += `\n        protection: (${protection.join(', ')})`;
    // If unpopulated, no other information is useful.
    if (zone.present === 0) {
      out += '\n';
      continue;
    }
    for (const item of ZONE_STAT_ITEMS) out += statLine(item, zoneStat(buddy, stats, zone, item));
    // One node: every allocation is a local hit (NUMA_HIT and NUMA_LOCAL count pages).
    const allocated = buddy.events.get(`pgalloc_${zoneSuffix(zone)}`);
    for (const item of NUMA_STAT_ITEMS) {
      out += statLine(item, item === 'numa_hit' || item === 'numa_local' ? allocated : 0);
    }
    const mem = Math.floor(zone.managed / 2 ** (27 - pageShift));
    const threshold = Math.min(125, 2 * fls(buddy.cpus) * (1 + fls(mem)));
    out += '\n  pagesets';
    zone.pcp.forEach((pcp, cpu) => {
      const ints = pcp.ints;
      out +=
        `\n    cpu: ${cpu}` +
        `\n              count:    ${ints[PCP_COUNT] as number}` +
        `\n              high:     ${ints[PCP_HIGH] as number}` +
        `\n              batch:    ${ints[PCP_BATCH] as number}` +
        `\n              high_min: ${ints[PCP_HIGH_MIN] as number}` +
        `\n              high_max: ${ints[PCP_HIGH_MAX] as number}` +
        `\n  vm stats threshold: ${threshold}`;
    });
    out += '\n  node_unreclaimable:  0';
    out += `\n  start_pfn:           ${zone.startPfn}`;
    out += '\n';
  }
  return out;
}
